"""Seat holds: a cart line holds its seats for `cart_hold_minutes` (one `SeatHold` row per cart line).

Invariant: for every event, `events.seats_held` == the sum of its `seat_holds.seats`. Whoever DELETEs a hold row
owns its seats and moves them in the same transaction: back to the pool (`seats_held -= n`), or sold
(`seats_held -= n, seats_sold += n`, services.orders.checkout). Counters move last, through `seat_counters`.

An expired hold keeps its seats until someone needs them: a hold or checkout refused for lack of seats first
releases that event's expired holds (`release_expired`) and tries again; `sweep` (CLI `release-expired-holds`
and a periodic task of the app) releases every expired hold. Its owner can still pay for it while it is not
released. Hold rows are locked in id order (reclaimers skip locked rows), then events in id order: no deadlock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Insert, bindparam, delete, insert, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.models import Cart, Event, SeatHold
from jo_app.services.orders import seat_counters
from jo_app.timeutil import utcnow

_H = SeatHold.__table__
_E = Event.__table__


def hold_expiry(now: datetime) -> datetime:
    """When a hold taken at `now` expires."""
    return now + timedelta(minutes=get_settings().cart_hold_minutes)


def _deleting(*conditions: ColumnElement[bool], skip_locked: bool):
    """DELETE of the matching hold rows (locked in id order) RETURNING (event_id, seats, expires_at)."""
    ids = select(_H.c.id).where(*conditions).order_by(_H.c.id).with_for_update(skip_locked=skip_locked)
    return delete(_H).where(_H.c.id.in_(ids.scalar_subquery())).returning(_H.c.event_id, _H.c.seats,
                                                                          _H.c.expires_at)


def _delete(session: Session, *conditions: ColumnElement[bool], skip_locked: bool) -> list[tuple[int, int, datetime]]:
    """Delete matching hold rows (locked in id order) and return their (event_id, seats, expires_at)."""
    return [tuple(row) for row in session.connection().execute(_deleting(*conditions, skip_locked=skip_locked))]


# The hot paths' statements, built once (building an expression costs more Python time than running it).
_DELETE_LINE = _deleting(_H.c.cart_id == bindparam("cart_id"), _H.c.offer_id == bindparam("offer_id"),
                         skip_locked=False)
_DELETE_CART = _deleting(_H.c.cart_id == bindparam("cart_id"), skip_locked=False)
_INSERT = insert(_H)


def _by_event(rows: Iterable[tuple[int, int, datetime]]) -> dict[int, int]:
    seats: dict[int, int] = defaultdict(int)
    for event_id, count, _expires in rows:
        seats[event_id] += count
    return dict(seats)


def take_cart_holds(session: Session, cart_id: int) -> dict[int, int]:
    """Delete every hold of a cart and return its seats per event id. The caller now owns these seats and must
    move them (`seats_held -= n`) in the same transaction. Does not commit."""
    return _by_event(session.connection().execute(_DELETE_CART, {"cart_id": cart_id}))


def take_line_hold(session: Session, cart_id: int, offer_id: int) -> tuple[int, datetime | None]:
    """Delete one cart line's hold; its (seats, expires_at), (0, None) if it had none. Same duty as above."""
    row = session.connection().execute(_DELETE_LINE, {"cart_id": cart_id, "offer_id": offer_id}).first()
    return (row[1], row[2]) if row else (0, None)


def line_hold_write(cart_id: int, offer_id: int, event_id: int, seats: int, expires_at: datetime,
                    now: datetime) -> tuple[Insert, dict]:
    """A line's hold row as a result-less write (`sql_batch.Later`, sent with the counters and the COMMIT); the
    caller adds `seats` to `events.seats_held` in the same transaction."""
    return _INSERT, {"cart_id": cart_id, "offer_id": offer_id, "event_id": event_id, "seats": seats,
                     "expires_at": expires_at, "created_at": now}


def release_expired(session: Session, event_ids: Iterable[int] | None = None,
                    now: datetime | None = None) -> dict[int, int]:
    """Release the expired holds (of `event_ids`, or all) and commit; returns the seats freed per event id.

    Rows locked by another transaction (their owner paying or changing them) are skipped, never waited for.
    """
    conditions = [_H.c.expires_at <= (now or utcnow())]
    if event_ids is not None:
        conditions.append(_H.c.event_id.in_(sorted({int(e) for e in event_ids})))
    try:
        freed = _by_event(_delete(session, *conditions, skip_locked=True))
        if not seat_counters.apply_and_commit(session, {e: (-n, 0) for e, n in freed.items()}):
            raise RuntimeError("releasing seats was refused")
    except BaseException:
        session.rollback()
        raise
    return freed


def sweep(session: Session, now: datetime | None = None) -> dict[int, int]:
    """Release every expired hold (periodic task and CLI); commits; seats freed per event id."""
    return release_expired(session, None, now)


def release_offer_holds(session: Session, offer_id: int) -> dict[int, int]:
    """Release the holds on an offer about to be deleted (admin), in the caller's transaction (no commit)."""
    return _give_back(session, _by_event(_delete(session, _H.c.offer_id == offer_id, skip_locked=False)))


def release_user_holds(session: Session, user_id: int) -> dict[int, int]:
    """Release the holds of a user's cart about to be deleted (account erasure), in the caller's transaction (no
    commit): counters are written at once, not last (not a hot path)."""
    carts = select(Cart.id).where(Cart.user_id == user_id).scalar_subquery()
    return _give_back(session, _by_event(_delete(session, _H.c.cart_id.in_(carts), skip_locked=False)))


def _give_back(session: Session, released: dict[int, int]) -> dict[int, int]:
    for event_id, seats in sorted(released.items()):
        session.connection().execute(update(_E).where(_E.c.id == event_id)
                                     .values(seats_held=_E.c.seats_held - seats))
    return released


def drop_event_holds(session: Session, event_id: int) -> None:
    """Delete the holds of an event about to be deleted (admin), in the caller's transaction (no commit)."""
    _delete(session, _H.c.event_id == event_id, skip_locked=False)
