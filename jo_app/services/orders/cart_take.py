"""The cart's lines read and its seat holds taken in ONE statement (PostgreSQL; other databases: two).

A cart change (one line's hold) and a checkout (every hold of the cart) read the cart's lines, then delete the hold
rows they take over (`services.orders.holds`: whoever deletes a hold row owns its seats). On PostgreSQL the DELETE
... RETURNING runs as a data-modifying CTE of the lines' SELECT: one round trip instead of two. Both are run under the
cart row lock taken by an earlier statement of the transaction, so the SELECT's snapshot is the one a statement run
next would get; the SELECT sees the hold rows as they were before the DELETE (as `cart_rows` run first saw them),
and what the DELETE returns stays the authority on the seats taken (a reclaimer may have released an expired hold
in between, as before).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, true
from sqlmodel import Session

from jo_app.services.orders import holds
from jo_app.services.orders.cart_view import _CART_ROWS, LineRow, cart_rows
from jo_app.timeutil import utcnow

_TAKEN_CART = holds._DELETE_CART.cte("taken_holds")
_ROWS_TAKING_CART = _CART_ROWS.add_columns(  # every row carries the same aggregate (evaluated once)
    select(func.json_agg(func.json_build_array(_TAKEN_CART.c.event_id, _TAKEN_CART.c.seats))).scalar_subquery()
)

_TAKEN_LINE = holds._DELETE_LINE.cte("taken_hold")
_TAKEN_ONE = select(select(_TAKEN_LINE.c.seats).scalar_subquery().label("taken_seats"),
                    select(_TAKEN_LINE.c.expires_at).scalar_subquery().label("taken_until")).subquery("taken_one")
_LINES = _CART_ROWS.order_by(None).subquery("cart_lines")
_COLUMNS = list(_LINES.c)
# One row even for an empty cart (the taken hold's columns, the lines' columns NULL), in `cart_rows`' display order.
_ROWS_TAKING_LINE = (
    select(_TAKEN_ONE.c.taken_seats, _TAKEN_ONE.c.taken_until, *_COLUMNS)
    .select_from(_TAKEN_ONE.outerjoin(_LINES, true()))
    .order_by(_COLUMNS[12], _COLUMNS[7], _COLUMNS[4], _COLUMNS[1])  # starts_at, event id, persons, offer id
)


def _postgresql(session: Session) -> bool:
    return session.connection().dialect.name == "postgresql"


def rows_taking_cart_holds(session: Session, user_id: int, cart_id: int,
                           now: datetime | None = None) -> tuple[list[LineRow], dict[int, int]]:
    """`cart_rows(user_id)`, and `holds.take_cart_holds(cart_id)` (seats per event id). Does not commit; the caller
    owns the seats taken (an empty cart is the caller's to roll back)."""
    now = now or utcnow()
    if not _postgresql(session):
        rows = cart_rows(session, user_id, now)
        return rows, holds.take_cart_holds(session, cart_id)
    result = session.connection().execute(_ROWS_TAKING_CART, {"user_id": user_id, "now": now, "cart_id": cart_id})
    rows, taken = [], None
    for row in result:
        rows.append(LineRow(*row[:-1]))
        taken = row[-1]
    return rows, holds._by_event((event_id, seats, None) for event_id, seats in taken or ())


def rows_taking_line_hold(session: Session, user_id: int, cart_id: int, offer_id: int,
                          now: datetime) -> tuple[list[LineRow], int, datetime | None]:
    """`cart_rows(user_id)`, and `holds.take_line_hold(cart_id, offer_id)`: (rows, seats taken, their expiry);
    (rows, 0, None) when the line had no hold. Does not commit; the caller owns the seats taken."""
    if not _postgresql(session):
        rows = cart_rows(session, user_id, now)
        return (rows, *holds.take_line_hold(session, cart_id, offer_id))
    result = session.connection().execute(_ROWS_TAKING_LINE, {"user_id": user_id, "now": now, "cart_id": cart_id,
                                                              "offer_id": offer_id}).all()
    seats, until = (result[0][0], result[0][1]) if result else (None, None)
    rows = [LineRow(*row[2:]) for row in result if row[3] is not None]  # row[3]: the line's offer id
    return rows, seats or 0, until if seats else None
