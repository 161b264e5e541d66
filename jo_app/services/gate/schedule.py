"""Sessions a gate can control: the ones whose gates are open now, then the next ones (plain reads, no commit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import Event
from jo_app.services.gate.admission import PARIS
from jo_app.timeutil import utcnow

UPCOMING_DAYS = 30
MAX_EVENTS = 60


@dataclass(frozen=True)
class GateEvent:
    id: int
    title: str
    venue: str
    starts_at: datetime  # naive UTC
    starts_local: str  # "dd/mm HH:MM", Europe/Paris
    gates_open: bool  # the gate accepts its tickets right now


def controllable_events(session: Session, *, now: datetime | None = None) -> list[GateEvent]:
    """Events whose gate window is open now or that start within UPCOMING_DAYS, open ones first, then by start."""
    now = now or utcnow()
    settings = get_settings()
    opens_before = timedelta(hours=settings.gate_open_hours_before)
    closes_after = timedelta(hours=settings.gate_close_hours_after)
    rows = session.exec(
        select(Event.id, Event.title, Event.venue, Event.starts_at)
        .where(Event.starts_at >= now - closes_after, Event.starts_at <= now + timedelta(days=UPCOMING_DAYS))
        .order_by(Event.starts_at, Event.id)
        .limit(MAX_EVENTS)
    ).all()
    events = [
        GateEvent(id=int(r.id), title=r.title, venue=r.venue, starts_at=r.starts_at,
                  starts_local=local_time(r.starts_at),
                  gates_open=r.starts_at - opens_before <= now <= r.starts_at + closes_after)
        for r in rows
    ]
    return sorted(events, key=lambda e: (not e.gates_open, e.starts_at, e.id))


def local_time(moment: datetime, fmt: str = "%d/%m %H:%M") -> str:
    """A naive UTC datetime shown in Paris time."""
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS).strftime(fmt)


def event_title(session: Session, event_id: int) -> str | None:
    """The event's title (None when it does not exist)."""
    return session.exec(select(Event.title).where(Event.id == event_id)).first()
