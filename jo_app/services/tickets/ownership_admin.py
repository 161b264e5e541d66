"""Admin view of the per-session ticket-ownership settings: resale open and its fee, static QR accepted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from jo_app.models import Event
from jo_app.services.tickets import resale
from jo_app.timeutil import utcnow

MAX_SESSIONS = 200


@dataclass(frozen=True)
class SessionPolicy:
    event_id: int
    title: str
    starts_at: datetime
    resale_enabled: bool
    resale_fee_bps: int
    static_qr_enabled: bool
    listed_persons: int


def session_policies(session: Session, *, now: datetime | None = None) -> list[SessionPolicy]:
    """Sessions not yet over (started less than a day ago or later), soonest first, with their settings."""
    now = now or utcnow()
    events = session.execute(select(Event).where(Event.starts_at >= now - timedelta(days=1))
                             .order_by(Event.starts_at, Event.id).limit(MAX_SESSIONS)
                             .execution_options(populate_existing=True)).scalars().all()
    listed = resale.listed_by_event(session, [e.id for e in events if e.resale_enabled], now=now)
    return [SessionPolicy(event_id=e.id, title=e.title, starts_at=e.starts_at, resale_enabled=e.resale_enabled,
                          resale_fee_bps=e.resale_fee_bps, static_qr_enabled=e.static_qr_enabled,
                          listed_persons=listed.get(e.id, 0)) for e in events]
