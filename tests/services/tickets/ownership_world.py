"""A small world for the ownership tests: a buyer with a family pack and a duo pack for a session two days ahead
(holders can change), a recipient account, and a gate employee."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from jo_app.models import Event, Role, Ticket, User
from jo_app.services.tickets.tokens import ensure_payload
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_order, make_ticket, make_user


@dataclass
class OwnershipWorld:
    buyer: User
    recipient: User
    stranger: User
    employee: User
    event: Event
    tickets: list[Ticket]
    now: datetime


def build(session: Session, *, starts_in: timedelta = timedelta(days=2)) -> OwnershipWorld:
    buyer = make_user(session, first_name="Ada", last_name="Lovelace")
    recipient = make_user(session, first_name="Grace", last_name="Hopper")
    stranger = make_user(session, first_name="Mallory", last_name="Evil")
    employee = make_user(session, role=Role.EMPLOYEE, first_name="Gate", last_name="Keeper")
    now = utcnow().replace(microsecond=0)
    event = make_event(session, starts_at=now + starts_in, title="Basketball - Final")
    family, duo = make_offer(session, event, offer_type="family"), make_offer(session, event, offer_type="duo")
    order = make_order(session, buyer)
    tickets = [make_ticket(session, order, family, buyer, index=1), make_ticket(session, order, duo, buyer, index=2)]
    for ticket in tickets:
        ensure_payload(session, ticket)
    session.commit()
    return OwnershipWorld(buyer, recipient, stranger, employee, event, tickets, now)


def fresh(session: Session, ticket_id: int) -> Ticket:
    session.expire_all()
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None
    return ticket
