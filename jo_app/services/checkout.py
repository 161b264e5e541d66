"""Checkout: cart -> paid order + one e-ticket per pack, in ONE database transaction (commits or rolls back itself).

Never oversell: seats are taken with one conditional UPDATE per event
(`seats_sold = seats_sold + n WHERE seats_sold + n <= capacity AND is_published`), in event-id order so two
checkouts cannot deadlock; a zero row count means sold out and the whole transaction is rolled back. The
hot event row is locked only from that UPDATE to the commit: the order, items and tickets are written first.

Exactly once: the cart row is locked (SELECT ... FOR UPDATE) so a user's attempts run one after the other, and
(user_id, idempotency_key) is unique: a repeated submission returns the first order and never charges again.

Any failure (invalid card, declined payment, sold out, unpublished offer...) leaves seats, cart and orders as
they were. Nothing slow (PDF, e-mail) runs here: the caller does that after the commit.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from jo_app.models import CartItem, Event, Order, OrderItem, OrderStatus, Ticket, TicketStatus, User
from jo_app.services import audit, keys, payment
from jo_app.services.cart import CartView, build_view, cart_rows, get_cart, lock_cart, problem_message
from jo_app.services.errors import ConflictError, NotFoundError, ValidationError
from jo_app.timeutil import utcnow

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: easy to read out on the phone
_ATTEMPTS = 3


@dataclass(frozen=True)
class CheckoutResult:
    order_id: int
    reference: str
    total_cents: int
    ticket_ids: tuple[int, ...]
    created: bool  # False when this idempotency key had already produced the order


def quote(session: Session, user_id: int) -> CartView:
    """What checkout would charge now (the priced cart with its problems)."""
    return get_cart(session, user_id)


def new_reference() -> str:
    """A human-friendly order reference such as `JO24-7K3M-Q9XD` (40 random bits)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"JO24-{chars[:4]}-{chars[4:]}"


def ticket_number(reference: str, unit_index: int) -> str:
    """Ticket number derived from the order reference, e.g. `T7K3MQ9XD-01`."""
    return f"T{reference[5:].replace('-', '')}-{unit_index:02d}"


def _existing(session: Session, user_id: int, idempotency_key: str) -> CheckoutResult | None:
    order = session.exec(
        select(Order).where(Order.user_id == user_id, Order.idempotency_key == idempotency_key)
    ).first()
    if order is None:
        return None
    ticket_ids = session.exec(select(Ticket.id).where(Ticket.order_id == order.id).order_by(Ticket.id)).all()
    return CheckoutResult(order.id, order.reference, order.total_cents, tuple(ticket_ids), created=False)


def _unused_reference(session: Session) -> str:
    for _ in range(10):
        reference = new_reference()
        if session.exec(select(Order.id).where(Order.reference == reference)).first() is None:
            return reference
    raise ConflictError("Could not allocate an order reference; please retry.")  # pragma: no cover


def _take_seats(session: Session, persons_by_event: dict[int, int], titles: dict[int, str]) -> None:
    for event_id in sorted(persons_by_event):
        wanted = persons_by_event[event_id]
        result = session.exec(
            update(Event)
            .where(Event.id == event_id, Event.seats_sold + wanted <= Event.capacity, Event.is_published)
            .values(seats_sold=Event.seats_sold + wanted)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            continue
        event = session.exec(select(Event).where(Event.id == event_id).execution_options(populate_existing=True)).one()
        if not event.is_published:
            raise ValidationError(f"{titles[event_id]}: {problem_message('unavailable')}", code="unavailable")
        left = event.capacity - event.seats_sold
        raise ConflictError(
            f"{titles[event_id]}: sold out." if left <= 0
            else f"{titles[event_id]}: only {left} seat(s) left, {wanted} requested.",
            code="sold_out",
        )


def _place_order(session: Session, user_id: int, card: payment.PaymentCard, idempotency_key: str,
                 client_ip: str | None, now: datetime) -> CheckoutResult:
    cart_id = lock_cart(session, user_id, create=False)
    existing = _existing(session, user_id, idempotency_key)
    if existing is not None:
        return existing
    rows = cart_rows(session, user_id) if cart_id is not None else []
    if not rows:
        raise ValidationError("Your cart is empty.", code="empty_cart")
    view = build_view(rows, now=now, check_seats=False)  # seats: by the conditional UPDATE below
    for line in view.lines:
        if line.problem:
            raise ValidationError(f"{line.event_title}: {problem_message(line.problem)}", code=line.problem)
    payment.validate_card(card, today=now.date())
    user = session.get(User, user_id, populate_existing=True)
    if user is None:
        raise NotFoundError("Unknown user.", code="user_not_found")

    reference = _unused_reference(session)
    purchase_key = keys.generate_purchase_key()
    order = Order(user_id=user_id, reference=reference, total_cents=view.total_cents,
                  status=OrderStatus.PAID.value, created_at=now, paid_at=now, purchase_key=purchase_key,
                  email=user.email, idempotency_key=idempotency_key)
    session.add(order)
    session.flush()  # a concurrent twin with the same key fails here (IntegrityError), before any charge
    holder = f"{user.first_name} {user.last_name}".strip()[:110]
    tickets: list[Ticket] = []
    persons_by_event: dict[int, int] = defaultdict(int)
    for line in view.lines:
        persons_by_event[line.event_id] += line.quantity * line.persons
        session.add(OrderItem(order_id=order.id, offer_id=line.offer_id, event_id=line.event_id,
                              offer_type=line.offer_type, offer_title=line.offer_title, persons=line.persons,
                              quantity=line.quantity, unit_price_cents=line.unit_price_cents))
        for _ in range(line.quantity):
            index = len(tickets) + 1
            tickets.append(Ticket(
                number=ticket_number(reference, index), order_id=order.id, offer_id=line.offer_id,
                event_id=line.event_id, user_id=user_id, persons=line.persons, holder_name=holder,
                user_key=user.security_key, purchase_key=purchase_key,
                ticket_key=keys.derive_ticket_key(user.security_key, purchase_key, f"{reference}:{index}"),
                qr_id=secrets.token_hex(8), qr_payload=None, status=TicketStatus.VALID.value, generated_at=now,
            ))
    session.add_all(tickets)
    session.exec(delete(CartItem).where(CartItem.cart_id == cart_id).execution_options(synchronize_session=False))
    audit.record(session, "order.paid", actor_id=user_id, target_type="order", target_id=order.id,
                 client_ip=client_ip, reference=reference, total_cents=view.total_cents, tickets=len(tickets))
    session.flush()

    # Hot rows last: the events stay locked only until the commit that follows.
    _take_seats(session, persons_by_event, {line.event_id: line.event_title for line in view.lines})
    charged = payment.charge(card, view.total_cents, idempotency_key=f"{user_id}:{idempotency_key}")
    order.payment_reference = charged.reference
    order.card_last4 = charged.last4
    session.flush()
    return CheckoutResult(order.id, reference, view.total_cents, tuple(t.id for t in tickets), created=True)


def checkout(session: Session, user_id: int, card: payment.PaymentCard, *, idempotency_key: str,
             client_ip: str | None = None) -> CheckoutResult:
    """Pay the user's cart; commits on success, rolls everything back on any error.

    `idempotency_key` (1-64 chars, one per checkout form) makes retries and double clicks safe: the same key
    returns the same order with `created=False`. Raises ValidationError (empty_cart, unavailable, event_past,
    limit_exceeded, invalid card fields), ConflictError("sold_out") and payment.PaymentDeclinedError.
    """
    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 64:
        raise ValidationError("Invalid checkout form; please reload the page.", code="invalid_idempotency_key")
    for _ in range(_ATTEMPTS):
        try:
            result = _place_order(session, user_id, card, idempotency_key, client_ip, utcnow())
            session.commit()
            return result
        except IntegrityError:
            # A twin submission committed first (same key), or an order reference collided: start again.
            session.rollback()
            existing = _existing(session, user_id, idempotency_key)
            if existing is not None:
                session.rollback()
                return existing
        except BaseException:
            session.rollback()
            raise
    raise ConflictError("The order could not be placed; please retry.")
