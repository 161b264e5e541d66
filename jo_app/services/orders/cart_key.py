"""The idempotency key of a cart payment, derived from what is being paid (the cart's current content).

The key hashes the user and every cart line (line id, offer, quantity, time added). A checkout deletes the lines
it paid, so the next cart, even with the same packs, has new lines and a new key; double clicks and retries of
one cart share one key (one order). A web page load plays no part in it.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import bindparam, select
from sqlmodel import Session

from jo_app.models import Cart, CartItem

_I, _C = CartItem.__table__, Cart.__table__
_LINES = (  # built once, a plain Core statement (building and running it through the ORM cost 5x more)
    select(_I.c.id, _I.c.offer_id, _I.c.quantity, _I.c.added_at).join(_C, _C.c.id == _I.c.cart_id)
    .where(_C.c.user_id == bindparam("user_id")).order_by(_I.c.id)
)


def content_key(session: Session, user_id: int) -> str | None:
    """The key of the user's cart as it is now, or None when the cart is empty."""
    rows = session.connection().execute(_LINES, {"user_id": user_id}).all()
    if not rows:
        return None
    text = f"{int(user_id)}|" + ";".join(f"{i},{o},{q},{a.isoformat()}" for i, o, q, a in rows)
    return "cart-" + hashlib.sha256(text.encode()).hexdigest()[:40]
