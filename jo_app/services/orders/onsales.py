"""Queued on-sales as admins run them: create one for an event or a group of events, change its admission rate,
pause, resume, close (each commits itself and is audited), and read its live figures. The queue itself (places,
opening draw, admissions, passes) is `services.orders.waiting_room`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, select

from jo_app.models import Event, OnSale, QueueEntry
from jo_app.services import audit, events
from jo_app.services.errors import NotFoundError, ValidationError
from jo_app.timeutil import utcnow

MAX_RATE = 1_000_000


@dataclass(frozen=True)
class OnSaleInput:
    name: str
    opens_at: datetime
    rate_per_minute: int
    pass_minutes: int = 15
    event_ids: tuple[int, ...] = field(default_factory=tuple)



@dataclass(frozen=True)
class OnSaleFigures:
    """What admins watch live."""

    onsale_id: int
    opened: bool
    paused: bool
    closed: bool
    rate_per_minute: int
    waiting: int
    admitted: int
    passes_used: int  # admitted visitors who came for their pass (entered the shop)
    seats_held: int
    seats_sold: int
    drain_seconds: int  # estimated time to let every waiting visitor in


def _check_rate(rate: object) -> int:
    if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= MAX_RATE:
        raise ValidationError(f"The admission rate must be between 1 and {MAX_RATE} per minute.",
                              code="invalid_rate", field="rate_per_minute")
    return rate


def create_onsale(session: Session, actor_id: int | None, data: OnSaleInput) -> int:
    """Create a queued on-sale for `data.event_ids` (admin); commits; returns its id."""
    name = (data.name or "").strip()
    if not name or len(name) > 150:
        raise ValidationError("Give the on-sale a name (150 characters at most).", code="invalid_onsale_name",
                              field="name")
    if not isinstance(data.pass_minutes, int) or not 1 <= data.pass_minutes <= 24 * 60:
        raise ValidationError("The pass lasts 1 minute to 24 hours.", code="invalid_pass_minutes",
                              field="pass_minutes")
    try:
        onsale = OnSale(name=name, opens_at=data.opens_at, rate_per_minute=_check_rate(data.rate_per_minute),
                        pass_minutes=data.pass_minutes)
        session.add(onsale)
        session.flush()
        ids = sorted({int(e) for e in data.event_ids})
        if ids:
            found = session.exec(update(Event).where(Event.id.in_(ids)).values(onsale_id=onsale.id)
                                 .execution_options(synchronize_session=False)).rowcount
            if found != len(ids):
                raise NotFoundError("An event of this on-sale does not exist.", code="event_not_found")
        events.announce(session, events.OnSaleChanged(onsale.id))
        audit.record(session, "onsale.created", actor_id=actor_id, target_type="onsale", target_id=onsale.id,
                     events=ids, rate_per_minute=onsale.rate_per_minute)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return onsale.id


def settle(onsale: OnSale, now: datetime) -> None:
    """Let in what the time since the last tick earned at the on-sale's current rate (nothing while paused) and
    mark the tick; `onsale` must be locked (FOR UPDATE). The periodic tick calls it, and so does every change of
    the rate or pause first: time earns at the settings that held during it, whether or not a tick ran."""
    if onsale.opened_at is None or onsale.closed or (onsale.last_tick_at is not None and now < onsale.last_tick_at):
        return
    if not onsale.paused:
        elapsed = max(0.0, (now - (onsale.last_tick_at or now)).total_seconds())
        credit = onsale.admit_credit + onsale.rate_per_minute * elapsed / 60
        whole = math.floor(credit)
        # An empty queue does not bank more than a minute of admissions for later arrivals.
        ceiling = onsale.next_position - 1 + onsale.rate_per_minute
        onsale.admitted_through = min(onsale.admitted_through + whole, ceiling)
        onsale.admit_credit = credit - whole
    onsale.last_tick_at = now


def _change(session: Session, actor_id: int | None, onsale_id: int, action: str, now: datetime | None,
            **values: object) -> None:
    try:
        onsale = _onsale(session, onsale_id, lock="update")
        settle(onsale, now or utcnow())  # what was earned so far, at the settings being changed
        for name, value in values.items():
            setattr(onsale, name, value)
        events.announce(session, events.OnSaleChanged(onsale_id))  # pushed live once committed
        audit.record(session, action, actor_id=actor_id, target_type="onsale", target_id=onsale_id,
                     **{k: v for k, v in values.items() if not isinstance(v, datetime)})
        session.commit()
    except BaseException:
        session.rollback()
        raise


def set_rate(session: Session, actor_id: int | None, onsale_id: int, rate_per_minute: int, *,
             now: datetime | None = None) -> None:
    """Change the admission rate live (admin; commits); the time before the change earns at the old rate."""
    _change(session, actor_id, onsale_id, "onsale.rate", now, rate_per_minute=_check_rate(rate_per_minute))


def set_paused(session: Session, actor_id: int | None, onsale_id: int, paused: bool, *,
               now: datetime | None = None) -> None:
    """Pause or resume admissions (admin; commits). Paused time earns no admissions; the time before a pause
    earns its admissions even if no tick ran in it."""
    _change(session, actor_id, onsale_id, "onsale.paused" if paused else "onsale.resumed", now, paused=bool(paused))


def close(session: Session, actor_id: int | None, onsale_id: int) -> None:
    """End queuing: the events are then sold without a pass (admin; commits)."""
    _change(session, actor_id, onsale_id, "onsale.closed", None, closed=True)


def _onsale(session: Session, onsale_id: object, *, lock: str | None = None) -> OnSale:
    if isinstance(onsale_id, bool) or not isinstance(onsale_id, int):
        raise NotFoundError("This on-sale does not exist.", code="onsale_not_found")
    query = select(OnSale).where(OnSale.id == onsale_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update(read=lock == "share")
    found = session.exec(query).first()
    if found is None:
        raise NotFoundError("This on-sale does not exist.", code="onsale_not_found")
    return found


def figures(session: Session, onsale_id: int) -> OnSaleFigures:
    """Live figures for admins: waiting, admitted, seats held and sold on its events, time to drain the queue."""
    onsale = _onsale(session, onsale_id)
    counts = session.exec(select(
        func.count().filter(QueueEntry.position.is_(None) | (QueueEntry.position > onsale.admitted_through)),
        func.count().filter(QueueEntry.position <= onsale.admitted_through),
        func.count(QueueEntry.admitted_at),
    ).where(QueueEntry.onsale_id == onsale.id)).one()
    held, sold = session.exec(select(func.coalesce(func.sum(Event.seats_held), 0),
                                     func.coalesce(func.sum(Event.seats_sold), 0))
                              .where(Event.onsale_id == onsale.id)).one()
    session.rollback()
    waiting, admitted = int(counts[0]), int(counts[1])
    return OnSaleFigures(
        onsale_id=onsale.id, opened=onsale.opened_at is not None, paused=onsale.paused, closed=onsale.closed,
        rate_per_minute=onsale.rate_per_minute, waiting=waiting, admitted=admitted, passes_used=int(counts[2]),
        seats_held=int(held),
        seats_sold=int(sold), drain_seconds=math.ceil(waiting * 60 / onsale.rate_per_minute),
    )


def event_ids(session: Session, onsale_id: int) -> list[int]:
    """The on-sale's events, by date (where an admitted visitor is sent)."""
    ids = list(session.exec(select(Event.id).where(Event.onsale_id == onsale_id)
                            .order_by(Event.starts_at, Event.id)).all())
    session.rollback()
    return ids


def queued_onsale(session: Session, event_id: int) -> int | None:
    """The id of the still-queued (not closed) on-sale selling this event, if any."""
    return session.exec(select(OnSale.id).join(Event, Event.onsale_id == OnSale.id)
                        .where(Event.id == event_id, OnSale.closed.is_(False))).first()


@dataclass(frozen=True)
class OnSaleOverview:
    """One on-sale on the admin screen: what it is and its live figures."""

    onsale_id: int
    name: str
    opens_at: datetime
    pass_minutes: int
    events: tuple[str, ...]  # titles, by date
    figures: OnSaleFigures


def overview(session: Session, limit: int = 50) -> list[OnSaleOverview]:
    """The most recent on-sales (open ones first) with their figures, for the admin screen."""
    rows = list(session.exec(select(OnSale).order_by(OnSale.closed, OnSale.opens_at.desc(), OnSale.id.desc())
                             .limit(limit)).all())
    titles: dict[int, list[str]] = {}
    if rows:
        for onsale_id, title in session.exec(select(Event.onsale_id, Event.title)
                                             .where(Event.onsale_id.in_([r.id for r in rows]))
                                             .order_by(Event.starts_at, Event.id)).all():
            titles.setdefault(int(onsale_id), []).append(title)
    result = [OnSaleOverview(onsale_id=r.id, name=r.name, opens_at=r.opens_at, pass_minutes=r.pass_minutes,
                             events=tuple(titles.get(r.id, ())), figures=figures(session, r.id)) for r in rows]
    session.rollback()
    return result
