"""Test data factories (also used by the benchmarks): one ORM row each, consistent with the models' rules (keys
derived like checkout does); they flush, the caller commits. `bulk_tickets` inserts many tickets of one order in a
few multi-row INSERTs."""

from __future__ import annotations

import itertools
import secrets
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlmodel import Session

from jo_app.models import Event, Offer, OfferType, Order, OrderStatus, Role, Ticket, TicketStatus, User
from jo_app.services.keys import derive_ticket_key, generate_purchase_key, generate_user_key
from jo_app.timeutil import utcnow

_counter = itertools.count(1)


def _uid() -> str:
    return f"{next(_counter)}{secrets.token_hex(3)}"


def make_user(session: Session, *, role: Role | str = Role.VISITOR, first_name: str = "Marie",
              last_name: str = "Curie", **fields) -> User:
    uid = _uid()
    user = User(username=f"user{uid}", email=f"user{uid}@example.test", first_name=first_name,
                last_name=last_name, password_hash="!bench-no-login", security_key=generate_user_key(),
                role=Role(role), is_verified=True, **fields)
    session.add(user)
    session.flush()
    return user


def make_event(session: Session, *, starts_at: datetime | None = None, capacity: int = 100_000,
               title: str = "Athletics - Men's 100m Final", sport: str = "Athletics",
               venue: str = "Stade de France", city: str = "Saint-Denis", **fields) -> Event:
    event = Event(slug=f"event-{_uid()}", sport=sport, title=title, venue=venue, city=city,
                  starts_at=starts_at or utcnow() + timedelta(hours=2), capacity=capacity, **fields)
    session.add(event)
    session.flush()
    return event


def make_offer(session: Session, event: Event, *, offer_type: OfferType | str = OfferType.SOLO,
               price_cents: int = 5000, **fields) -> Offer:
    kind = OfferType(offer_type)
    offer = Offer(event_id=event.id, title=f"{kind.value.capitalize()} pack", offer_type=kind,
                  persons=kind.persons, price_cents=price_cents, **fields)
    session.add(offer)
    session.flush()
    return offer


def make_order(session: Session, user: User, *, total_cents: int = 5000,
               status: OrderStatus | str = OrderStatus.PAID) -> Order:
    order = Order(user_id=user.id, reference=f"JO-{secrets.token_hex(5).upper()}", total_cents=total_cents,
                  status=OrderStatus(status), paid_at=utcnow(), purchase_key=generate_purchase_key(), email=user.email)
    session.add(order)
    session.flush()
    return order


def _ticket_values(order: Order, offer: Offer, user: User, index: int) -> dict:
    identity = f"{order.reference}-{index}"
    return dict(
        number=f"T{secrets.token_hex(6).upper()}", order_id=order.id, offer_id=offer.id, event_id=offer.event_id,
        user_id=user.id, persons=offer.persons, holder_name=f"{user.first_name} {user.last_name}",
        user_key=user.security_key, purchase_key=order.purchase_key,
        ticket_key=derive_ticket_key(user.security_key, order.purchase_key, identity),
        qr_id=secrets.token_hex(8), generated_at=utcnow().replace(microsecond=0), status=TicketStatus.VALID,
    )


def make_ticket(session: Session, order: Order, offer: Offer, user: User, *, index: int = 1, **fields) -> Ticket:
    ticket = Ticket(**{**_ticket_values(order, offer, user, index), **fields})
    session.add(ticket)
    session.flush()
    return ticket


def bulk_tickets(session: Session, order: Order, offer: Offer, user: User, count: int,
                 *, batch: int = 1000) -> list[int]:
    """Insert `count` tickets for one order (multi-row INSERTs); returns their ids in insertion order."""
    numbers: list[str] = []
    for start in range(0, count, batch):
        rows = [_ticket_values(order, offer, user, i + 1) for i in range(start, min(count, start + batch))]
        session.execute(insert(Ticket), rows)
        numbers.extend(r["number"] for r in rows)
    ids = dict(session.execute(select(Ticket.number, Ticket.id).where(Ticket.order_id == order.id)).all())
    return [ids[n] for n in numbers]
