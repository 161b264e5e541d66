"""Live admission counters of the gate page: one room `gate:<event id>` per event (jo_app.live).

`GateState.configure` (after the role check) puts the device's socket in the room and loads the counters into its
`GateLiveState`; every admitted scan calls `jo_app.live.notify("gate:<event id>")`: each process reads the event's
figures once and pushes one update to every other device of that event. `GateLiveState` has no public handler.

Devices joining an event together share one read of its counters (`shared_counts`): kept COUNTS_SHARE_SECONDS, and
forgotten at every notification of the event's topic in this process (relayed ones included), so a joining device
never gets figures older than a change this process has heard of (and it joined the room before reading: the push
of any later change reaches it).
"""

from __future__ import annotations

import asyncio
import time

import reflex as rx
from reflex.state import StateUpdate

from jo_app.db import session_scope
from jo_app.live import TopicSpec, delta_update, hub
from jo_app.services.gate import reports as gate_reports


def live_topic(event_id: int) -> str:
    """Live topic (room) of one event's admission counters."""
    return f"gate:{int(event_id)}"


def read_counts(event_id: int) -> dict[str, int]:
    with session_scope() as session:
        return gate_reports.admission_counts(session, event_id)


COUNTS_SHARE_SECONDS = 1.0

_shared: dict[int, tuple[int, float, dict[str, int]]] = {}  # event id -> (generation, read at, counts)
_reads: dict[tuple[int, int], asyncio.Future] = {}  # (event id, generation) -> the read in flight
_generation: dict[int, int] = {}  # event id -> notifications of its topic seen by this process


async def shared_counts(event_id: int) -> dict[str, int]:
    """The event's counters (`read_counts`), one read in a thread for the devices of this process asking within
    COUNTS_SHARE_SECONDS with no change of the event in between (call after the device joined the event's room)."""
    event_id = int(event_id)
    for _attempt in range(3):
        generation = _generation.get(event_id, 0)
        hit = _shared.get(event_id)
        if hit is not None and hit[0] == generation and time.monotonic() - hit[1] < COUNTS_SHARE_SECONDS:
            return hit[2]
        key = (event_id, generation)
        read = _reads.get(key)
        if read is None:
            read = _reads[key] = asyncio.ensure_future(asyncio.to_thread(read_counts, event_id))
            read.add_done_callback(lambda _f, key=key: _reads.pop(key, None))
        counts = await asyncio.shield(read)
        if _generation.get(event_id, 0) == generation:  # no change notified while it was read
            _shared[event_id] = (generation, time.monotonic(), counts)
            return counts
    return counts  # changes kept coming: the figures of the last read (the pushes follow anyway)


def forget_counts(topic: str) -> None:
    """A change of `gate:<event id>` was notified: the next device reads afresh (on the loop, at each notification)."""
    try:
        event_id = int(topic.partition(":")[2] or 0)
    except ValueError:
        return
    _generation[event_id] = _generation.get(event_id, 0) + 1
    _shared.pop(event_id, None)


class GateLiveState(rx.State):
    """Admission counters of the device's event, pushed to every device of `gate:<id>` (no public handler)."""

    live_event_id: int = 0
    admitted_persons: int = 0
    admitted_tickets: int = 0
    sold_persons: int = 0

    def _apply(self, event_id: int, counts: dict[str, int]) -> None:
        values = {"live_event_id": int(event_id), "admitted_persons": counts["admitted_persons"],
                  "admitted_tickets": counts["admitted_tickets"], "sold_persons": counts["sold_persons"]}
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)


def _counts_update(topic: str) -> StateUpdate | None:
    event_id = int(topic.partition(":")[2] or 0)
    if event_id <= 0:
        return None
    counts = read_counts(event_id)
    return delta_update(GateLiveState.get_full_name(), {
        "live_event_id": event_id, "admitted_persons": counts["admitted_persons"],
        "admitted_tickets": counts["admitted_tickets"], "sold_persons": counts["sold_persons"]})


hub.register("gate", TopicSpec(_counts_update, interval=0.1, on_change=forget_counts))
