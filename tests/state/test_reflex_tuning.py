"""jo_app.live.reflex_tuning: the faster hydrate reset does exactly what Reflex's own method does."""

from __future__ import annotations

from reflex.state import State

from jo_app.live import reflex_tuning


def _walk(state):
    yield state
    for substate in state.substates.values():
        yield from _walk(substate)


def _client_storage_values(root) -> dict[tuple[str, str], object]:
    return {(type(s).get_full_name(), name): getattr(s, name)
            for s in _walk(root) for name in type(s).base_vars if type(s)._is_client_storage(name)}


def _tree_with_changed_storage():
    import jo_app.jo_app  # noqa: F401  (registers every state of the app)

    root = State(_reflex_internal_init=True)
    changed = 0
    for state in _walk(root):
        for name, _field in reflex_tuning.client_storage_fields(type(state)):
            setattr(state, name, "changed-by-the-browser")
            changed += 1
    root._clean()
    return root, changed


def test_reset_matches_reflex() -> None:
    ours, changed = _tree_with_changed_storage()
    theirs, _ = _tree_with_changed_storage()
    assert changed >= 2  # the language cookie and the remembered "add to cart" at least
    assert set(_client_storage_values(ours).values()) == {"changed-by-the-browser"}

    reflex_tuning._reset_client_storage(ours)
    reflex_tuning._original_reset(theirs)

    assert _client_storage_values(ours) == _client_storage_values(theirs)
    assert "changed-by-the-browser" not in _client_storage_values(ours).values()
    # the same states were marked changed (the reset values reach the browser alike)
    assert {type(s).get_full_name(): set(s.dirty_vars) for s in _walk(ours)} == \
        {type(s).get_full_name(): set(s.dirty_vars) for s in _walk(theirs)}


def test_installed_by_the_app() -> None:
    from reflex.state import BaseState

    import jo_app.jo_app  # noqa: F401

    assert BaseState._reset_client_storage is reflex_tuning._reset_client_storage
