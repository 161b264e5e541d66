"""Checkout of an explicit list of packs (API `POST /api/v1/orders` with `items`), leaving the cart untouched.

Same rules, oversell protection and idempotency as the cart checkout (`checkout.place_order` and
`checkout.run_idempotent`), in one transaction committed or rolled back here. A repeated `idempotency_key`
returns the first order (`created=False`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.services import payment
from jo_app.services.errors import NotFoundError, ValidationError
from jo_app.services.orders.cart_view import offer_rows
from jo_app.services.orders.checkout import BUYER, CheckoutResult, SeatClaim, place_order, run_idempotent
from jo_app.services.orders.waiting_room import Passes
from jo_app.timeutil import utcnow

MAX_LINES = 20


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
             idempotency_key: str, client_ip: str | None, queue_pass: Passes,
             confirmation_mail: bool) -> tuple[CheckoutResult, SeatClaim]:
    buyer = session.connection().execute(BUYER, {"user_id": user_id}).first()
    if buyer is None:
        raise NotFoundError("Unknown user.", code="user_not_found")
    rows = offer_rows(session, wanted)
    if len(rows) != len(wanted):
        raise NotFoundError("This offer does not exist.", code="offer_not_found")
    return place_order(session, user_id, buyer, rows, card, idempotency_key, client_ip=client_ip, now=utcnow(),
                       queue_pass=queue_pass, confirmation_mail=confirmation_mail)


def checkout_items(session: Session, user_id: int, items: Iterable[tuple[int, int]], card: payment.PaymentCard, *,
                   idempotency_key: str, client_ip: str | None = None, queue_pass: Passes = None,
                   confirmation_mail: bool = True) -> CheckoutResult:
    """Buy `items` ((offer_id, quantity) pairs) for `user_id`; commits, or rolls everything back and raises the
    same errors as `checkout.checkout` (plus NotFoundError for an unknown offer). Confirmation mail as in
    `checkout.checkout`."""
    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 64:
        raise ValidationError("The idempotency key must be 1 to 64 characters.", code="invalid_idempotency_key")
    wanted = _merge(items)
    return run_idempotent(session, user_id, idempotency_key,
                          lambda: _attempt(session, user_id, wanted, card, idempotency_key, client_ip, queue_pass,
                                                  confirmation_mail))
