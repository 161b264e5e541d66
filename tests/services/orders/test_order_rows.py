"""The paid order and its tickets written together (services.orders.order_rows), SQLite and PostgreSQL: the ids
come back in the tickets' order, every ticket points at the order, a twin key still fails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from jo_app.models import Order, OrderStatus, Ticket, TicketStatus
from jo_app.services.orders import order_rows
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_user


def _values(user_id: int, offer_ids: list[int], event_id: int, reference: str) -> tuple[dict, list[dict]]:
    now = utcnow()
    order = {"user_id": user_id, "reference": reference, "total_cents": 100, "status": OrderStatus.PAID,
             "created_at": now, "paid_at": now, "cancelled_at": None, "purchase_key": f"pk-{reference}",
             "email": "a@example.org", "idempotency_key": "same-key", "payment_reference": "pay", "card_last4": "4242"}
    tickets = [{"number": f"T{reference}-{index:02d}", "order_id": None, "offer_id": offer_id, "event_id": event_id,
                "user_id": user_id, "persons": index, "holder_name": "Ada L'Ovelace", "user_key": "uk",
                "purchase_key": f"pk-{reference}", "ticket_key": f"tk-{reference}-{index}",
                "qr_id": f"qr{reference}{index}", "qr_payload": None, "status": TicketStatus.VALID,
                "generated_at": now, "used_at": None, "used_by_id": None, "used_gate": None, "cancelled_at": None}
               for index, offer_id in enumerate(offer_ids, start=1)]
    return order, tickets


def test_order_and_tickets_in_order(session: Session) -> None:
    event = make_event(session, capacity=10, starts_at=utcnow() + timedelta(days=2))
    solo, duo = make_offer(session, event, offer_type="solo"), make_offer(session, event, offer_type="duo")
    user = make_user(session)
    session.commit()
    order, tickets = _values(user.id, [duo.id, solo.id, duo.id], event.id, "AAAA")
    order_id, ids = order_rows.write(session.connection(), order, tickets)
    assert len(ids) == 3 and all(ticket["order_id"] == order_id for ticket in tickets)
    rows = {row.id: row for row in session.exec(select(Ticket))}
    assert [(rows[i].number, rows[i].offer_id, rows[i].persons, rows[i].order_id) for i in ids] == [
        ("TAAAA-01", duo.id, 1, order_id), ("TAAAA-02", solo.id, 2, order_id), ("TAAAA-03", duo.id, 3, order_id)]
    assert rows[ids[0]].status == TicketStatus.VALID and rows[ids[0]].holder_name == "Ada L'Ovelace"
    assert session.get(Order, order_id).reference == "AAAA"
    session.commit()
    twin, twin_tickets = _values(user.id, [solo.id], event.id, "BBBB")  # same user and idempotency key
    with pytest.raises(IntegrityError):
        order_rows.write(session.connection(), twin, twin_tickets)
    session.rollback()


def test_tickets_must_share_the_shared_columns(session: Session) -> None:
    order, tickets = _values(1, [1, 2], 1, "CCCC")
    tickets[1]["holder_name"] = "Someone else"
    if session.connection().dialect.name == "postgresql":
        with pytest.raises(ValueError, match="shared column"):
            order_rows.write(session.connection(), order, tickets)
    session.rollback()
