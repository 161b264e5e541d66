"""The two kinds of Reflex update the live hub pushes (re-exported by `jo_app.live.hub` and `jo_app.live`)."""

from __future__ import annotations

from typing import Any

from reflex.state import StateUpdate
from reflex_base.event import Event


def delta_update(state_name: str, values: dict[str, Any]) -> StateUpdate:
    """A Reflex update setting public vars `values` of the state with full name `state_name`."""
    from reflex_base.constants.state import FIELD_MARKER

    return StateUpdate(delta={state_name: {name + FIELD_MARKER: value for name, value in values.items()}})


def events_update(*handlers: str) -> StateUpdate:
    """A Reflex update asking each page to call `handlers` (full dotted names) with no argument."""
    return StateUpdate(events=[Event(name=name, payload={}) for name in handlers])
