"""The idempotency key of a cart payment, derived from what is being paid (the cart's current content).

The key hashes the user and every cart line (line id, offer, quantity, time added). A checkout deletes the lines
it paid, so the next cart, even with the same packs, has new lines and a new key; double clicks and retries of
one cart share one key (one order). A web page load plays no part in it.

`key_and_lock` (PostgreSQL) reads the lines in the statement that locks the cart row for the checkout (one round
trip instead of two): the lines as they were when the statement started, i.e. before it waited for the lock, as
`content_key` run just before the lock reads them, so a payment queued behind another one of the same cart (a
second tab) still finds that order by the key.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Row
from sqlmodel import Session

from jo_app.models import Cart, CartItem
from jo_app.services.orders.checkout import LOCKED_CART

_I, _C = CartItem.__table__, Cart.__table__
_LINES = (  # built once, a plain Core statement (building and running it through the ORM cost 5x more)
    select(_I.c.id, _I.c.offer_id, _I.c.quantity, _I.c.added_at).join(_C, _C.c.id == _I.c.cart_id)
    .where(_C.c.user_id == bindparam("user_id")).order_by(_I.c.id)
)


_LINES_JSON = (  # PostgreSQL: the same lines as one JSON array, a column of the locking statement
    select(func.json_agg(aggregate_order_by(
        func.json_build_array(_I.c.id, _I.c.offer_id, _I.c.quantity, _I.c.added_at), _I.c.id)))
    .where(_I.c.cart_id == _C.c.id).scalar_subquery()
)
_LOCKED_WITH_LINES = LOCKED_CART.add_columns(_LINES_JSON.label("key_lines"))


def _key(user_id: int, rows: list[tuple[Any, Any, Any, datetime]]) -> str | None:
    if not rows:
        return None
    text = f"{int(user_id)}|" + ";".join(f"{i},{o},{q},{a.isoformat()}" for i, o, q, a in rows)
    return "cart-" + hashlib.sha256(text.encode()).hexdigest()[:40]


def content_key(session: Session, user_id: int) -> str | None:
    """The key of the user's cart as it is now, or None when the cart is empty."""
    return _key(user_id, session.connection().execute(_LINES, {"user_id": user_id}).all())


def key_and_lock(session: Session, user_id: int) -> tuple[str | None, Row | None]:
    """(`content_key`, the checkout's locked cart row: `services.orders.checkout.LOCKED_CART`, to hand to
    `checkout(locked=...)`). PostgreSQL: one statement; other databases: `content_key`, and no row (the checkout
    locks the cart itself)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return content_key(session, user_id), None
    locked = connection.execute(_LOCKED_WITH_LINES, {"user_id": user_id}).first()
    if locked is None:
        return None, None
    lines = [(i, o, q, datetime.fromisoformat(a)) for i, o, q, a in locked.key_lines or ()]
    return _key(user_id, lines), locked
