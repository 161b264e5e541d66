"""Sessions offered to a gate: open-gate sessions first, then upcoming ones; past and far-future ones left out."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from jo_app.models import Event
from jo_app.services.gate import schedule as gate_events

NOW = datetime(2026, 7, 30, 8, 0)  # naive UTC: 10:00 in Paris (CEST)


def _event(session: Session, slug: str, starts_at: datetime) -> int:
    event = Event(slug=slug, sport="Judo", title=f"Judo {slug}", venue="Arena", starts_at=starts_at, capacity=10)
    session.add(event)
    session.flush()
    return int(event.id)


def test_open_sessions_first_then_upcoming(session: Session) -> None:
    later = _event(session, "later", NOW + timedelta(days=2))
    open_soon = _event(session, "soon", NOW + timedelta(hours=1))  # gates open 6 h before
    open_started = _event(session, "started", NOW - timedelta(hours=3))  # gates close 12 h after
    _event(session, "over", NOW - timedelta(hours=13))
    _event(session, "far", NOW + timedelta(days=gate_events.UPCOMING_DAYS + 1))
    session.commit()

    events = gate_events.controllable_events(session, now=NOW)

    assert [e.id for e in events] == [open_started, open_soon, later]
    assert [e.gates_open for e in events] == [True, True, False]
    assert events[1].starts_local == "30/07 11:00"  # Paris time
    assert gate_events.event_title(session, later) == "Judo later"
    assert gate_events.event_title(session, 999_999) is None
