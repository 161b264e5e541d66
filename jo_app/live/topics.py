"""What a live topic is (`TopicSpec`: how its update is read and how often it is pushed) and the two kinds of
update a topic sends (`delta_update`: public vars; `events_update`: handlers each page calls)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reflex.state import StateUpdate
from reflex_base.event import Event

Reader = Callable[[str], StateUpdate | None]  # blocking: topic -> the update for its room (None: nothing)


@dataclass(frozen=True)
class TopicSpec:
    """How to build a topic's update: `reader(topic)` (blocking), at most one push per `interval` seconds;
    `on_change(topic)` (quick, on the loop) runs at every notification, even with no page of it in this process."""

    reader: Reader
    interval: float = 0.05
    on_change: Callable[[str], None] | None = None
    # During a burst (notified again while pushing), the wait between pushes doubles from `interval` up to
    # `burst_interval` (None: fixed): a lone change is still pushed at once, a sustained burst costs fewer pushes.
    burst_interval: float | None = None
    # A figure-only topic: a read equal to what the whole room was last sent is not sent again.
    skip_unchanged: bool = False


def delta_update(state_name: str, values: dict[str, Any]) -> StateUpdate:
    """A Reflex update setting public vars `values` of the state with full name `state_name`."""
    from reflex_base.constants.state import FIELD_MARKER

    return StateUpdate(delta={state_name: {name + FIELD_MARKER: value for name, value in values.items()}})


def events_update(*handlers: str) -> StateUpdate:
    """A Reflex update asking each page to call `handlers` (full dotted names) with no argument."""
    return StateUpdate(events=[Event(name=name, payload={}) for name in handlers])
