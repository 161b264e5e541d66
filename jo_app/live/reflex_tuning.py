"""Per-page costs of Reflex 0.10.1 that grow with the number of states, cut without changing behaviour.

`BaseState._reset_client_storage` runs at every hydrate (every page open) on each of the ~30 states of the tree and,
for each of their ~250 vars, asks the `lru_cache`d `_is_client_storage(field)`. Which vars are client storage
(rx.Cookie / rx.LocalStorage / rx.SessionStorage) is fixed per class: `install()` replaces the method with one that
looks the list up once per class, then resets exactly the same vars to the same defaults. Checked against Reflex's
own method in tests/ui/test_reflex_tuning.py.
"""

from __future__ import annotations

from typing import Any

from reflex.state import BaseState

from jo_app.live import one_message

_original_reset = BaseState._reset_client_storage
_client_storage: dict[type, tuple[tuple[str, Any], ...]] = {}


def client_storage_fields(cls: type[BaseState]) -> tuple[tuple[str, Any], ...]:
    """(var name, field) of the client storage vars of `cls` (computed once per class)."""
    found = _client_storage.get(cls)
    if found is None:
        fields = cls.get_fields()
        found = tuple((name, fields[name]) for name in cls.base_vars if cls._is_client_storage(fields[name]))
        _client_storage[cls] = found
    return found


def _reset_client_storage(self: BaseState) -> None:
    """Reset client storage base vars to their default values, in this state and its substates (as Reflex does)."""
    for name, field in client_storage_fields(type(self)):
        setattr(self, name, field.default_value())
    for substate in self.substates.values():
        _reset_client_storage(substate)


def install() -> None:
    BaseState._reset_client_storage = _reset_client_storage  # type: ignore[method-assign]
    one_message.install()  # a handler's delta and its frontend events in one message (jo_app.live.one_message)


def uninstall() -> None:
    BaseState._reset_client_storage = _original_reset  # type: ignore[method-assign]
    one_message.uninstall()
