"""Sales statistics: per offer type, per day (same results on SQLite and PostgreSQL), admissions and KPIs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from jo_app.models import Order, Ticket
from jo_app.services import stats
from jo_app.services.orders import cart, checkout
from jo_app.services.orders import history as orders
from jo_app.services.payment import PaymentCard
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_user

GOOD = PaymentCard("4242424242424242", 12, utcnow().year + 2, "123", "Ada")


def test_empty_database(session: Session) -> None:
    assert stats.sales_by_offer_type(session) == [
        {"offer_type": kind, "packs": 0, "persons": 0, "revenue_cents": 0} for kind in ("solo", "duo", "family")]
    assert stats.sales_per_day(session) == []
    assert [d["orders"] for d in stats.sales_per_day(session, days=3)] == [0, 0, 0]
    assert stats.revenue_cents(session) == 0
    assert stats.kpis(session) == {"revenue_cents": 0, "orders": 0, "tickets_sold": 0, "persons_sold": 0,
                                   "seats_left": 0, "tickets_used": 0, "persons_admitted": 0}


@pytest.fixture
def sales(session: Session) -> dict:
    now = utcnow()
    first = make_event(session, title="Athletics", starts_at=now + timedelta(days=2), capacity=100)
    second = make_event(session, title="Swimming", starts_at=now + timedelta(days=1), capacity=20)
    solo = make_offer(session, first, offer_type="solo", price_cents=5000)
    family = make_offer(session, second, offer_type="family", price_cents=16000)
    users = [make_user(session) for _ in range(3)]
    session.commit()
    results = []
    for user, (offer, qty) in zip(users, [(solo, 2), (family, 1), (solo, 1)], strict=True):
        cart.add_item(session, user.id, offer.id, qty)
        results.append(checkout.checkout(session, user.id, GOOD, idempotency_key="k"))
    # Spread the payments: two days ago, two days ago, today.
    for result, days_ago in zip(results, (2, 2, 0), strict=True):
        order = session.get(Order, result.order_id)
        order.paid_at = order.paid_at - timedelta(days=days_ago)
    session.commit()
    return {"first": first, "second": second, "orders": results}


def test_sales_by_offer_type(session: Session, sales: dict) -> None:
    assert stats.sales_by_offer_type(session) == [
        {"offer_type": "solo", "packs": 3, "persons": 3, "revenue_cents": 15000},
        {"offer_type": "duo", "packs": 0, "persons": 0, "revenue_cents": 0},
        {"offer_type": "family", "packs": 1, "persons": 4, "revenue_cents": 16000},
    ]
    orders.cancel_order(session, None, sales["orders"][1].reference)  # cancelled orders leave the figures
    assert stats.sales_by_offer_type(session)[2] == {"offer_type": "family", "packs": 0, "persons": 0,
                                                     "revenue_cents": 0}
    assert stats.revenue_cents(session) == 15000


def test_sales_per_day(session: Session, sales: dict) -> None:
    today = utcnow().date()
    days = [(today - timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    expected = [
        {"day": days[0], "orders": 2, "packs": 3, "revenue_cents": 26000},
        {"day": days[1], "orders": 0, "packs": 0, "revenue_cents": 0},
        {"day": days[2], "orders": 1, "packs": 1, "revenue_cents": 5000},
    ]
    assert stats.sales_per_day(session) == expected
    assert stats.sales_per_day(session, days=5)[2:] == expected
    assert stats.sales_per_day(session, days=5)[0]["day"] == (today - timedelta(days=4)).isoformat()
    assert stats.sales_per_day(session, days=2) == expected[1:]


def test_seats_admissions_and_kpis(session: Session, sales: dict) -> None:
    used = session.get(Ticket, sales["orders"][1].ticket_ids[0])  # the family ticket is scanned
    used.status, used.used_at = "used", utcnow()
    session.commit()
    seats = {row["title"]: row for row in stats.seats_left_per_event(session)}
    assert (seats["Athletics"]["seats_sold"], seats["Athletics"]["seats_left"]) == (3, 97)
    assert (seats["Swimming"]["seats_sold"], seats["Swimming"]["seats_left"]) == (4, 16)
    admissions = {row["title"]: row for row in stats.admissions_per_event(session)}
    assert admissions["Swimming"] | {"event_id": 0, "starts_at": None} == {
        "event_id": 0, "title": "Swimming", "starts_at": None, "seats_sold": 4, "tickets_sold": 1,
        "persons_sold": 4, "tickets_used": 1, "persons_admitted": 4}
    assert (admissions["Athletics"]["tickets_sold"], admissions["Athletics"]["tickets_used"]) == (3, 0)
    assert stats.kpis(session) == {"revenue_cents": 31000, "orders": 3, "tickets_sold": 4, "persons_sold": 7,
                                   "seats_left": 113, "tickets_used": 1, "persons_admitted": 4}
    orders.cancel_order(session, None, sales["orders"][0].reference)
    k = stats.kpis(session)
    assert (k["revenue_cents"], k["orders"], k["tickets_sold"], k["seats_left"]) == (21000, 2, 2, 115)


def test_forced_erasure_keeps_paid_orders_and_tickets_sold_consistent(session: Session) -> None:
    """Issue 13 item 9: the dashboard showed 10 paid orders next to 4 tickets sold after an account deletion (the
    erasure cancelled the tickets and left their orders paid). Now every paid order holds a sold ticket."""
    from sqlmodel import select

    from jo_app.models import AuditLog, OrderStatus
    from jo_app.services import privacy
    from jo_app.services.accounts import users as accounts

    event = make_event(session, title="Judo", starts_at=utcnow() + timedelta(days=3), capacity=50)
    solo = make_offer(session, event, offer_type="solo", price_cents=5000)
    duo = make_offer(session, event, offer_type="duo", price_cents=9000)
    leaving = accounts.create_user(session, email="leaving@example.org", password="Tatami!Bleu2024",
                                   first_name="Léo", last_name="Martin", verified=True)
    staying = make_user(session)
    session.commit()
    cart.add_item(session, leaving.id, solo.id, 1)
    only_future = checkout.checkout(session, leaving.id, GOOD, idempotency_key="a")
    cart.add_item(session, leaving.id, duo.id, 2)
    half_used = checkout.checkout(session, leaving.id, GOOD, idempotency_key="b")
    cart.add_item(session, staying.id, solo.id, 3)
    checkout.checkout(session, staying.id, GOOD, idempotency_key="c")
    scanned = session.get(Ticket, half_used.ticket_ids[0])
    scanned.status, scanned.used_at = "used", utcnow()
    session.commit()
    before = stats.kpis(session)
    assert (before["orders"], before["tickets_sold"], before["revenue_cents"]) == (3, 6, 5000 + 18000 + 15000)

    privacy.delete_account(session, leaving.id, "Tatami!Bleu2024", force=True)

    after = stats.kpis(session)
    # The order whose only ticket was cancelled is cancelled and refunded; the half-used one stays paid.
    assert session.get(Order, only_future.order_id).status == OrderStatus.CANCELLED.value
    assert session.get(Order, half_used.order_id).status == OrderStatus.PAID.value
    assert (after["orders"], after["tickets_sold"], after["tickets_used"]) == (2, 4, 1)
    assert after["revenue_cents"] == 18000 + 15000
    assert after["revenue_cents"] == sum(day["revenue_cents"] for day in stats.sales_per_day(session))
    paid = session.exec(select(Order.id).where(Order.status == OrderStatus.PAID.value)).all()
    sold_by_order = {order_id: 0 for order_id in paid}
    for ticket in session.exec(select(Ticket).where(Ticket.status.in_(["valid", "used"]))).all():
        if ticket.order_id in sold_by_order:
            sold_by_order[ticket.order_id] += 1
    assert all(count > 0 for count in sold_by_order.values())
    assert sum(sold_by_order.values()) == after["tickets_sold"]
    refunds = session.exec(select(AuditLog).where(AuditLog.action == "order.cancelled")).all()
    assert len(refunds) == 1 and refunds[0].target_id == str(only_future.order_id)
