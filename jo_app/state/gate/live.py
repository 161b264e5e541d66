"""Live admission counters of the gate page: one room `gate:<event id>` per event (jo_app.live).

`GateState.configure` (after the role check) puts the device's socket in the room and loads the counters into its
`GateLiveState`; every admitted scan calls `jo_app.live.notify("gate:<event id>")`: each process reads the event's
figures once and pushes one update to every other device of that event. `GateLiveState` has no public handler.
"""

from __future__ import annotations

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


hub.register("gate", TopicSpec(_counts_update, interval=0.1))
