"""Virtual waiting room for a queued on-sale: places, opening draw, admission rate, passes (commits itself).

- Joining before the opening gives a place without a number; at opening (`open_if_due`, run by `tick`) everyone
  already there gets a random place (a uniformly random permutation: arriving early gives no advantage). Later
  arrivals take the next number in arrival order (one conditional UPDATE of `onsales.next_position`).
  A joiner before the opening holds a share lock on the on-sale row, the opening an exclusive one: nobody is
  left without a number.
- `tick` admits `rate_per_minute` places per minute (fractions carried over), unless paused or closed.
- An admitted visitor gets a pass (services.orders.queue_pass: signed, bound to the account, valid `pass_minutes` from
  admission). Cart, hold and checkout services refuse packs of a queued event without a valid pass
  (`require_passes`). One place per account: a second tab or device sees the same place.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from jo_app.models import OnSale, QueueEntry
from jo_app.services.errors import PermissionDeniedError
from jo_app.services.orders import onsales, queue_pass
from jo_app.services.orders.onsales import OnSaleFigures, _onsale
from jo_app.timeutil import utcnow

_DRAW = random.SystemRandom()
Passes = str | Iterable[str] | None  # waiting-room pass(es) a buyer holds


@dataclass(frozen=True)
class QueueStatus:
    onsale_id: int
    state: str  # not_joined | before_opening | waiting | admitted | pass_expired | closed
    opens_at: datetime
    position: int | None = None
    ahead: int | None = None  # places still to be let in before this one
    estimated_wait_seconds: int | None = None
    pass_token: str | None = None
    pass_expires_at: datetime | None = None


@dataclass(frozen=True)
class QueueBoard:
    """The few public numbers every waiting page of an on-sale receives at each tick (the same for all): each page
    works out its own wait from its own place (`ahead = position - admitted_through - 1`)."""

    onsale_id: int
    admitted_through: int  # places 1..admitted_through are let in
    rate_per_minute: int
    paused: bool
    opened: bool
    closed: bool
    opens_at: datetime
    ticked_at: float  # unix seconds of the last tick (0 before the opening); keep last: not part of the numbers


def board(session: Session, onsale_id: int) -> QueueBoard:
    """The on-sale's public queue numbers (one primary-key read; no lock)."""
    onsale = _onsale(session, onsale_id)
    session.rollback()
    return QueueBoard(onsale_id=onsale.id, admitted_through=onsale.admitted_through,
                      rate_per_minute=onsale.rate_per_minute, paused=onsale.paused,
                      opened=onsale.opened_at is not None, closed=onsale.closed, opens_at=onsale.opens_at,
                      ticked_at=onsale.last_tick_at.replace(tzinfo=UTC).timestamp() if onsale.last_tick_at else 0.0)


def active_onsales(session: Session) -> list[int]:
    """The ids of the on-sales still queuing (not closed): what the periodic tick moves."""
    ids = list(session.exec(select(OnSale.id).where(OnSale.closed.is_(False)).order_by(OnSale.id)).all())
    session.rollback()
    return ids


def _entry(session: Session, onsale_id: int, user_id: int) -> QueueEntry | None:
    return session.exec(select(QueueEntry).where(QueueEntry.onsale_id == onsale_id, QueueEntry.user_id == user_id)
                        .execution_options(populate_existing=True)).first()


_TAKE_NUMBER = (update(OnSale).where(OnSale.id == bindparam("onsale_id"), OnSale.opened_at.is_not(None))
                .values(next_position=OnSale.next_position + 1).returning(OnSale.next_position))


def join(session: Session, user_id: int, onsale_id: int, *, now: datetime | None = None) -> QueueStatus:
    """Take a place in the queue (idempotent: the same place for every tab and device of the account); commits."""
    now = now or utcnow()
    for _ in range(3):
        try:
            onsale = _onsale(session, onsale_id)
            if onsale.closed or _entry(session, onsale.id, user_id) is not None:
                session.rollback()
                return status(session, user_id, onsale_id, now=now)
            if onsale.opened_at is None:
                onsale = _onsale(session, onsale_id, lock="share")  # the opening draw waits for this insert
                if onsale.opened_at is not None:
                    session.rollback()
                    continue
                position = None
            else:
                position = session.connection().execute(_TAKE_NUMBER, {"onsale_id": onsale.id}).scalar_one() - 1
            session.add(QueueEntry(onsale_id=onsale.id, user_id=user_id, joined_at=now, position=position))
            session.commit()
        except IntegrityError:  # another tab of the same account joined first: its place is ours
            session.rollback()
        except BaseException:
            session.rollback()
            raise
        return status(session, user_id, onsale_id, now=now)
    return status(session, user_id, onsale_id, now=now)


def open_if_due(session: Session, onsale_id: int, *, now: datetime | None = None) -> bool:
    """At or after `opens_at`, give everyone who joined before a random place (once); commits. True if opened now."""
    now = now or utcnow()
    try:
        onsale = _onsale(session, onsale_id, lock="update")
        if onsale.opened_at is not None or now < onsale.opens_at:
            session.rollback()
            return False
        early = list(session.exec(select(QueueEntry.id).where(QueueEntry.onsale_id == onsale.id,
                                                              QueueEntry.position.is_(None))).all())
        _DRAW.shuffle(early)
        if early:
            session.connection().execute(
                update(QueueEntry).where(QueueEntry.id == bindparam("entry_id"))
                .values(position=bindparam("place")).execution_options(synchronize_session=False),
                [{"entry_id": entry_id, "place": place} for place, entry_id in enumerate(early, start=1)])
        onsale.opened_at, onsale.last_tick_at = now, now
        onsale.next_position = len(early) + 1
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return True


def tick(session: Session, onsale_id: int, *, now: datetime | None = None) -> OnSaleFigures:
    """Open when due, then admit the places earned since the last tick at the current rate; commits; returns the
    live figures (which count the queue: polls use `tick_if_stale`, which does not)."""
    _advance(session, onsale_id, now or utcnow())
    return onsales.figures(session, onsale_id)


def _advance(session: Session, onsale_id: int, now: datetime) -> None:
    open_if_due(session, onsale_id, now=now)
    try:
        onsale = _onsale(session, onsale_id, lock="update")
        onsales.settle(onsale, now)
        session.commit()
    except BaseException:
        session.rollback()
        raise


def tick_if_stale(session: Session, onsale_id: int, *, now: datetime | None = None, seconds: float = 1.0) -> bool:
    """`tick` unless one ran less than `seconds` ago (or the opening is not due): visitors' polls and every
    process's periodic tick can call it without all taking the on-sale row's lock. Commits when it ticks; True
    then."""
    now = now or utcnow()
    onsale = _onsale(session, onsale_id)
    due = onsale.opened_at is None and now >= onsale.opens_at
    stale = onsale.opened_at is not None and (onsale.last_tick_at is None
                                              or (now - onsale.last_tick_at).total_seconds() >= seconds)
    session.rollback()
    if (due or stale) and not onsale.closed:
        _advance(session, onsale_id, now)
        return True
    return False


def status(session: Session, user_id: int, onsale_id: int, *, now: datetime | None = None) -> QueueStatus:
    """The account's place, wait estimate and (once admitted) its pass; records the admission time once."""
    now = now or utcnow()
    onsale = _onsale(session, onsale_id)
    base = {"onsale_id": onsale.id, "opens_at": onsale.opens_at}
    if onsale.closed:
        session.rollback()
        return QueueStatus(state="closed", **base)
    entry = _entry(session, onsale.id, user_id)
    if entry is None:
        session.rollback()
        return QueueStatus(state="not_joined", **base)
    if entry.position is None:
        session.rollback()
        return QueueStatus(state="before_opening", **base)
    if entry.position > onsale.admitted_through:
        ahead = entry.position - onsale.admitted_through - 1
        wait = None if onsale.paused else math.ceil((ahead + 1) * 60 / onsale.rate_per_minute)
        session.rollback()
        return QueueStatus(state="waiting", position=entry.position, ahead=ahead, estimated_wait_seconds=wait, **base)
    if entry.admitted_at is None:
        session.exec(update(QueueEntry).where(QueueEntry.id == entry.id, QueueEntry.admitted_at.is_(None))
                     .values(admitted_at=now))
        session.commit()
        entry = _entry(session, onsale.id, user_id)
    expires = entry.admitted_at + timedelta(minutes=onsale.pass_minutes)
    session.rollback()
    if expires <= now:
        return QueueStatus(state="pass_expired", position=entry.position, ahead=0, **base)
    return QueueStatus(state="admitted", position=entry.position, ahead=0, estimated_wait_seconds=0,
                       pass_token=queue_pass.issue(onsale.id, user_id, expires), pass_expires_at=expires, **base)


def require_passes(session: Session, user_id: int, onsale_ids: Iterable[int | None],
                   passes: str | Iterable[str] | None, *, now: datetime | None = None) -> None:
    """Refuse (PermissionDeniedError `queue_pass_required`) unless the account holds a valid pass for every
    still-queued on-sale among `onsale_ids` (closed ones sell freely)."""
    wanted = sorted({int(i) for i in onsale_ids if i is not None})
    if not wanted:
        return
    queued = session.exec(select(OnSale.id).where(OnSale.id.in_(wanted), OnSale.closed.is_(False))).all()
    tokens = [passes] if isinstance(passes, str) else list(passes or ())
    now = now or utcnow()
    for onsale_id in queued:
        if not any(queue_pass.is_valid(token, onsale_id, user_id, now) for token in tokens):
            raise PermissionDeniedError("This session is sold through the waiting room: wait for your turn "
                                        "(your pass may have expired).", code="queue_pass_required")


