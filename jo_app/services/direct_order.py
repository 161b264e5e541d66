"""Checkout of an explicit list of packs (API `POST /api/v1/orders` with `items`), leaving the cart as it was.

One transaction (committed or rolled back here): lock the cart, set its current lines aside, put the requested
items in, run the regular checkout (`checkout._place_order`: same rules, same oversell protection, same
idempotency), then put the set-aside lines back. On any error nothing changes, the cart included.
A repeated `idempotency_key` returns the first order (`created=False`) without touching the cart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import CartItem, Offer
from jo_app.services import payment
from jo_app.services.cart import lock_cart
from jo_app.services.checkout import CheckoutResult, _existing, _place_order
from jo_app.services.errors import ConflictError, NotFoundError, ValidationError
from jo_app.timeutil import utcnow

MAX_LINES = 20
_ATTEMPTS = 3


def _merge(items: Iterable[tuple[int, int]]) -> dict[int, int]:
    high = get_settings().max_packs_per_event_per_order
    merged: dict[int, int] = defaultdict(int)
    for offer_id, quantity in items:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= high:
            raise ValidationError(f"The quantity must be between 1 and {high}.", code="invalid_quantity",
                                  field="quantity")
        merged[int(offer_id)] += quantity
    if not merged:
        raise ValidationError("Give at least one item.", code="empty_cart", field="items")
    if len(merged) > MAX_LINES:
        raise ValidationError(f"At most {MAX_LINES} different offers per order.", code="too_many_items",
                              field="items")
    return dict(merged)


def _attempt(session: Session, user_id: int, wanted: dict[int, int], card: payment.PaymentCard,
             idempotency_key: str, client_ip: str | None) -> CheckoutResult:
    cart_id = lock_cart(session, user_id, create=True)
    existing = _existing(session, user_id, idempotency_key)
    if existing is not None:
        return existing
    known = set(session.exec(select(Offer.id).where(Offer.id.in_(list(wanted)))).all())
    if known != set(wanted):
        raise NotFoundError("This offer does not exist.", code="offer_not_found")
    kept = [(i.offer_id, i.quantity, i.added_at)
            for i in session.exec(select(CartItem).where(CartItem.cart_id == cart_id)).all()]
    session.exec(delete(CartItem).where(CartItem.cart_id == cart_id))
    now = utcnow()
    session.add_all([CartItem(cart_id=cart_id, offer_id=o, quantity=q, added_at=now) for o, q in wanted.items()])
    session.flush()
    result = _place_order(session, user_id, card, idempotency_key, client_ip, now)  # empties the cart
    session.add_all([CartItem(cart_id=cart_id, offer_id=o, quantity=q, added_at=at) for o, q, at in kept])
    session.flush()
    return result


def checkout_items(session: Session, user_id: int, items: Iterable[tuple[int, int]], card: payment.PaymentCard, *,
                   idempotency_key: str, client_ip: str | None = None) -> CheckoutResult:
    """Buy `items` ((offer_id, quantity) pairs) for `user_id`; commits, or rolls everything back and raises the
    same errors as `checkout.checkout` (plus NotFoundError for an unknown offer)."""
    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 64:
        raise ValidationError("The idempotency key must be 1 to 64 characters.", code="invalid_idempotency_key")
    wanted = _merge(items)
    for _ in range(_ATTEMPTS):
        try:
            result = _attempt(session, user_id, wanted, card, idempotency_key, client_ip)
            session.commit()
            return result
        except IntegrityError:
            session.rollback()
            existing = _existing(session, user_id, idempotency_key)
            session.rollback()
            if existing is not None:
                return existing
        except BaseException:
            session.rollback()
            raise
    raise ConflictError("The order could not be placed; please retry.")
