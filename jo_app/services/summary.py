"""Small read-only figures for the home page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from jo_app.models import Event
from jo_app.timeutil import utcnow


def sessions_on_sale(session: Session, *, now: datetime | None = None) -> int:
    """Number of published future sessions that still have seats."""
    now = now or utcnow()
    stmt = select(func.count()).select_from(Event).where(
        Event.is_published, Event.starts_at > now, Event.seats_sold + Event.seats_held < Event.capacity  # type: ignore[arg-type]
    )
    return int(session.exec(stmt).one())
