"""Orders and tickets for their owner, admin search, and cancellation (seats released, refund, used tickets kept)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from jo_app.models import AuditLog, Event, Order, Ticket
from jo_app.services import payment
from jo_app.services.errors import ConflictError, NotFoundError, ValidationError
from jo_app.services.orders import cart, checkout
from jo_app.services.orders import history as orders
from jo_app.services.payment import PaymentCard
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_user

GOOD = PaymentCard("4242424242424242", 12, utcnow().year + 2, "123", "Ada")


@pytest.fixture
def bought(session: Session) -> dict:
    now = utcnow()
    first = make_event(session, title="Athletics", venue="Stade de France", starts_at=now + timedelta(days=2))
    second = make_event(session, title="Swimming", venue="La Defense Arena", starts_at=now + timedelta(days=1))
    solo = make_offer(session, first, offer_type="solo", price_cents=5000)
    family = make_offer(session, second, offer_type="family", price_cents=16000)
    ada = make_user(session, first_name="Ada", last_name="Lovelace")
    eve = make_user(session, first_name="Eve", last_name="Spy")
    admin = make_user(session, role="admin")
    session.commit()
    cart.add_item(session, ada.id, solo.id, 2)
    cart.add_item(session, ada.id, family.id)
    one = checkout.checkout(session, ada.id, GOOD, idempotency_key="a1")
    cart.add_item(session, ada.id, solo.id)
    two = checkout.checkout(session, ada.id, GOOD, idempotency_key="a2")
    cart.add_item(session, eve.id, family.id)
    eves = checkout.checkout(session, eve.id, GOOD, idempotency_key="e1")
    return {"first": first, "second": second, "ada": ada, "eve": eve, "admin": admin, "one": one, "two": two,
            "eves": eves, "solo": solo, "family": family}


def test_list_and_get_orders(session: Session, bought: dict) -> None:
    ada = bought["ada"]
    summaries = orders.list_orders(session, ada.id)
    assert [s.reference for s in summaries] == [bought["two"].reference, bought["one"].reference]  # newest first
    first = summaries[1]
    assert (first.status, first.total_cents, first.packs, first.persons, first.email) == ("paid", 26000, 3, 6,
                                                                                           ada.email)
    detail = orders.get_order(session, ada.id, bought["one"].reference.lower())  # case-insensitive reference
    assert [(li.event_title, li.offer_type, li.quantity, li.line_total_cents) for li in detail.lines] == [
        ("Swimming", "family", 1, 16000), ("Athletics", "solo", 2, 10000)]
    assert [t.id for t in detail.tickets] == list(bought["one"].ticket_ids)
    assert detail.card_last4 == "4242" and detail.payment_reference.startswith("pay_")
    with pytest.raises(NotFoundError) as err:  # someone else's order looks exactly like a missing one
        orders.get_order(session, bought["eve"].id, bought["one"].reference)
    with pytest.raises(NotFoundError) as missing:
        orders.get_order(session, ada.id, "JO24-ZZZZ-ZZZZ")
    assert err.value.message == missing.value.message and err.value.code == missing.value.code
    assert orders.get_order_admin(session, bought["eves"].reference).summary.user_id == bought["eve"].id


def test_tickets_for_owner(session: Session, bought: dict) -> None:
    tickets = orders.list_tickets(session, bought["ada"].id)
    assert len(tickets) == 4
    assert [t.event_title for t in tickets] == ["Swimming", "Athletics", "Athletics", "Athletics"]  # by date
    family = tickets[0]
    assert (family.offer_type, family.persons, family.event_venue, family.status, family.holder_name) == (
        "family", 4, "La Defense Arena", "valid", "Ada Lovelace")
    assert family.order_reference == bought["one"].reference and family.used_at is None
    assert orders.get_ticket_for_owner(session, bought["ada"].id, family.id) == family
    eve_ticket = bought["eves"].ticket_ids[0]
    with pytest.raises(NotFoundError):
        orders.get_ticket_for_owner(session, bought["ada"].id, eve_ticket)
    with pytest.raises(NotFoundError):
        orders.get_ticket_for_owner(session, bought["ada"].id, 999_999)


def test_search_orders(session: Session, bought: dict) -> None:
    ref = bought["one"].reference
    assert [o.reference for o in orders.search_orders(session, text=ref.lower())] == [ref]
    assert ref in [o.reference for o in orders.search_orders(session, text=ref[5:9].lower())]
    eve_refs = [o.reference for o in orders.search_orders(session, text=bought["eve"].email.upper())]
    assert eve_refs == [bought["eves"].reference]
    by_event = {o.reference for o in orders.search_orders(session, event_id=bought["second"].id)}
    assert by_event == {bought["one"].reference, bought["eves"].reference}
    assert len(orders.search_orders(session)) == 3 and len(orders.search_orders(session, limit=2)) == 2
    assert orders.search_orders(session, text="%") == []


def _seats(session: Session, key: str, bought: dict) -> int:
    session.expire_all()
    return session.get(Event, bought[key].id).seats_sold


def _use(session: Session, ticket_id: int) -> None:
    used = session.get(Ticket, ticket_id)  # scanned at the gate
    used.status, used.used_at, used.used_gate = "used", utcnow(), "Gate A"
    session.commit()


def test_cancel_releases_valid_tickets_and_refunds(session: Session, bought: dict) -> None:
    one = bought["one"]
    assert (_seats(session, "first", bought), _seats(session, "second", bought)) == (3, 8)

    orders.cancel_order(session, bought["admin"].id, one.reference, reason="customer request",
                        client_ip="198.51.100.7")

    session.expire_all()
    order = session.get(Order, one.order_id)
    assert order.status == "cancelled" and order.cancelled_at is not None
    assert [session.get(Ticket, tid).status for tid in one.ticket_ids] == ["cancelled"] * 3
    assert all(session.get(Ticket, tid).cancelled_at for tid in one.ticket_ids)
    assert _seats(session, "first", bought) == 1  # 3 sold - 2 released
    assert _seats(session, "second", bought) == 4  # Eve's family pack still counts
    entry = session.exec(select(AuditLog).where(AuditLog.action == "order.cancelled")).one()
    details = json.loads(entry.details)
    assert entry.actor_id == bought["admin"].id and entry.client_ip == "198.51.100.7"
    assert details["refund_cents"] == 16000 + 2 * 5000 and details["tickets_used"] == 0
    assert details["seats_released"] == 6 and details["reason"] == "customer request"
    assert details["override_used"] is False
    assert details["refund_reference"] == payment.refund(order.payment_reference, 26000)

    orders.cancel_order(session, bought["admin"].id, one.reference)  # idempotent
    assert _seats(session, "first", bought) == 1
    assert len(session.exec(select(AuditLog).where(AuditLog.action == "order.cancelled")).all()) == 1
    assert orders.get_order(session, bought["ada"].id, one.reference).summary.status == "cancelled"


def test_an_order_with_a_used_ticket_is_refused_without_an_override(session: Session, bought: dict) -> None:
    one = bought["one"]
    _use(session, one.ticket_ids[1])
    with pytest.raises(ConflictError) as refused:
        orders.cancel_order(session, bought["admin"].id, one.reference, reason="customer request")
    assert refused.value.code == "order_has_used_tickets"
    session.expire_all()
    assert session.get(Order, one.order_id).status == "paid"
    assert [session.get(Ticket, tid).status for tid in one.ticket_ids] == ["valid", "used", "valid"]
    assert _seats(session, "first", bought) == 3
    assert session.exec(select(AuditLog).where(AuditLog.action.in_(("order.cancelled", "order.used_tickets_refunded")))
                        ).all() == []
    # The override needs a reason.
    for reason in ("", "   ", "ok"):
        with pytest.raises(ValidationError) as missing:
            orders.cancel_order(session, bought["admin"].id, one.reference, reason=reason, override_used=True)
        assert missing.value.code == "override_reason_required"
    session.expire_all()
    assert session.get(Order, one.order_id).status == "paid"


def test_override_with_a_reason_cancels_refunds_used_tickets_and_is_audited(session: Session, bought: dict) -> None:
    one = bought["one"]
    _use(session, one.ticket_ids[1])
    orders.cancel_order(session, bought["admin"].id, one.reference, reason="Session interrompue (orage)",
                        override_used=True, client_ip="198.51.100.7")
    session.expire_all()
    order = session.get(Order, one.order_id)
    assert order.status == "cancelled"
    # The used ticket stays used (the entry happened) and keeps its seat; the others are cancelled.
    assert [session.get(Ticket, tid).status for tid in one.ticket_ids] == ["cancelled", "used", "cancelled"]
    assert _seats(session, "first", bought) == 2
    details = json.loads(session.exec(select(AuditLog).where(AuditLog.action == "order.cancelled")).one().details)
    assert details["override_used"] is True and details["tickets_used"] == 1
    assert details["refund_cents"] == 16000 + 2 * 5000  # the used solo ticket refunded too
    assert details["refund_reference"] == payment.refund(order.payment_reference, 26000)
    override = session.exec(select(AuditLog).where(AuditLog.action == "order.used_tickets_refunded")).one()
    extra = json.loads(override.details)
    assert override.actor_id == bought["admin"].id and override.client_ip == "198.51.100.7"
    assert extra == {"reason": "Session interrompue (orage)", "reference": one.reference, "refund_cents": 5000,
                     "tickets_used": 1}


def test_cancelled_seats_can_be_sold_again(session: Session, bought: dict) -> None:
    second = session.get(Event, bought["second"].id)
    second.capacity = 8  # exactly sold out
    session.commit()
    newcomer = make_user(session)
    session.commit()
    orders.cancel_order(session, None, bought["eves"].reference)
    cart.add_item(session, newcomer.id, bought["family"].id)
    assert checkout.checkout(session, newcomer.id, GOOD, idempotency_key="n1").created
    assert _seats(session, "second", bought) == 8


def test_cancel_unknown_order(session: Session, bought: dict) -> None:
    with pytest.raises(NotFoundError):
        orders.cancel_order(session, None, "JO24-NOPE-NOPE")
