"""The application class: `rx.App` with the behaviours every page and every worker needs.

- Served app (`__call__`, what Granian calls in each worker): `/api/` requests go straight to the API stack
  (`asgi.api_first`), and the startup heap is frozen (`asgi.freeze_startup_heap`).
- Every page's on_load starts with `AuthState.load_identity`: the navbar's display identity (logged in or not,
  first name, role) is re-read from the session cookie whenever the page hydrates, including after a websocket
  reconnect that lands on a fresh state (the server died, or another tab took the token): Reflex re-runs the
  page's on_load then, but a component's on_mount does not fire again.
- A page added with `inline_load=True` (one plain async on_load handler) has it run INSIDE Reflex's
  `on_load_internal` event, which then sets `is_hydrated` itself: one event (lock, state load, router data, delta,
  emit, save) per page view instead of three (on_load_internal, the handler, set_is_hydrated). Other pages keep
  Reflex's chain unchanged (`_on_load_internal` falls back to Reflex's own function).
"""

from __future__ import annotations

import inspect
from typing import Any

import reflex as rx
from reflex import state as reflex_state
from reflex.state import OnLoadInternalState
from reflex_base.event import SUPERSEDES_MARKER, EventHandler
from reflex_base.registry import RegistrationContext

from jo_app.asgi import ASGIApp, api_first, freeze_startup_heap, transformed_api, warm_routes
from jo_app.config import get_settings
from jo_app.live import gc_pauses
from jo_app.state.auth import AuthState

_INLINE_LOADS: set[Any] = set()  # the functions of the on_load handlers run inside on_load_internal


async def _on_load_internal(self: OnLoadInternalState) -> Any:
    """Reflex's `on_load_internal`, except for a page whose only on_load handler was added with `inline_load`: that
    handler runs here, on its own state of this same locked tree, and the page is hydrated in the same delta."""
    loads = RegistrationContext.get().app.get_load_events(self.rx_router_url.path)
    if len(loads) == 1 and isinstance(loads[0], EventHandler) and loads[0].fn in _INLINE_LOADS:
        handler = loads[0]
        events = await handler.fn(await self.get_state(handler.state))
        self.is_hydrated = True
        return events
    return reflex_state._load_events_for_page(self)


def install_inline_loads() -> None:
    """Make `OnLoadInternalState.on_load_internal` run `_on_load_internal` (idempotent; same supersede marker)."""
    handler = OnLoadInternalState.event_handlers["on_load_internal"]
    if handler.fn is _on_load_internal:
        return
    setattr(_on_load_internal, SUPERSEDES_MARKER, getattr(handler.fn, SUPERSEDES_MARKER, False))
    _on_load_internal.__name__, _on_load_internal.__qualname__ = handler.fn.__name__, handler.fn.__qualname__
    object.__setattr__(handler, "fn", _on_load_internal)  # a frozen dataclass; the registry holds this object
    handler.__dict__.pop("_is_coroutine_function", None)  # cached_property: read again (now a coroutine function)


class App(rx.App):
    """`rx.App` for JO E-Tickets; see the module docstring."""

    def __call__(self) -> ASGIApp:
        reflex_asgi = super().__call__()  # also mounts the Reflex app inside the FastAPI transformer
        api = transformed_api(self.api_transformer)
        asgi = api_first(reflex_asgi, api, self._set_contexts_internal)
        warm_routes(self.api_transformer[0] if isinstance(self.api_transformer, list | tuple) else
                    self.api_transformer)
        freeze_startup_heap()
        freeze_after_ms = get_settings().gc_freeze_after_ms
        gc_pauses.install(freeze_after=freeze_after_ms / 1000 if freeze_after_ms >= 0 else None)
        return asgi

    def _setup_state(self) -> None:
        """Reflex's set-up, then the disk state manager that builds a page's states when its events need them
        (`jo_app.live.lazy_states`); the Redis and memory managers are kept."""
        super()._setup_state()
        from jo_app.live import lazy_states

        self._state_manager = lazy_states.manager_for(self._state_manager)

    def add_page(self, *args: Any, on_load: Any = None, identity_in_load: bool = False, inline_load: bool = False,
                 **kwargs: Any) -> Any:
        """`rx.App.add_page`, with `AuthState.load_identity` first in the page's on_load, unless `identity_in_load`:
        the page's on_load sets the display identity itself (`AuthState._show_identity`) from the resolution it
        needs anyway (one event, one identity check less per page view). `inline_load` (with `identity_in_load`
        and one plain async handler): that handler runs inside `on_load_internal` (see the module docstring)."""
        if on_load is None:
            handlers = []
        elif isinstance(on_load, list | tuple):
            handlers = list(on_load)
        else:
            handlers = [on_load]
        if inline_load:
            fn = handlers[0].fn if len(handlers) == 1 and isinstance(handlers[0], EventHandler) else None
            if not identity_in_load or not inspect.iscoroutinefunction(fn) or handlers[0].is_background:
                raise ValueError("inline_load needs identity_in_load and one plain async on_load handler")
            install_inline_loads()
            _INLINE_LOADS.add(fn)
        if identity_in_load and handlers:
            return super().add_page(*args, on_load=handlers, **kwargs)
        return super().add_page(*args, on_load=[AuthState.load_identity, *handlers], **kwargs)
