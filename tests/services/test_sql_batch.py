"""Result-less writes sent with the transaction's COMMIT (services.sql_batch, services.orders.seat_counters), and the
round trips they save on the hot paths (add to cart with hold, checkout)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jo_app.models import AuditLog, Event, Offer, OutboxJob
from jo_app.services import audit, jobs, sql_batch
from jo_app.services.orders import cart, checkout, seat_counters
from jo_app.services.payment import PaymentCard
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_user

AWKWARD = "l'O'Neil \\ \"quoted\" ; DROP TABLE users; -- é ü \u2028 %s %(x)s $1"
CARD = PaymentCard("4242 4242 4242 4242", 12, utcnow().year + 2, "123", "Batch Buyer")


def test_batched_writes_commit_with_the_counters_values_intact(session: Session) -> None:
    event_row = make_event(session, capacity=10)
    session.commit()
    later = sql_batch.Later()
    later.add(*audit.write_later(session, "test.batch", actor_id=None, target_type="note", target_id=AWKWARD,
                                 client_ip="2001:db8::1", note=AWKWARD, amount=12.5, nothing=None))
    later.add(*jobs.insert_job(session, jobs.ORDER_CONFIRMATION, {"text": AWKWARD, "n": 3}))
    assert seat_counters.apply_and_commit(session, {event_row.id: (2, 0)}, later)
    row = session.execute(select(AuditLog).where(AuditLog.action == "test.batch")).scalar_one()
    assert row.target_id == AWKWARD and row.client_ip == "2001:db8::1"
    assert json.loads(row.details) == {"note": AWKWARD, "amount": 12.5, "nothing": None}
    job = session.execute(select(OutboxJob)).scalar_one()
    assert json.loads(job.payload) == {"text": AWKWARD, "n": 3} and job.status == "pending"
    assert session.get(Event, event_row.id, populate_existing=True).seats_held == 2


def test_refused_seats_roll_the_batch_back(session: Session) -> None:
    event_row = make_event(session, capacity=1)
    session.commit()
    later = sql_batch.Later()
    later.add(*audit.write_later(session, "test.refused"))
    assert not seat_counters.apply_and_commit(session, {event_row.id: (2, 0)}, later)  # over capacity
    assert session.execute(select(func.count()).select_from(AuditLog)).scalar_one() == 0
    assert session.get(Event, event_row.id, populate_existing=True).seats_held == 0


def test_a_failing_batched_write_is_an_error_not_a_sold_out(session: Session) -> None:
    event_row = make_event(session, capacity=10)
    session.commit()
    later = sql_batch.Later()
    now = utcnow()
    later.add(insert(Offer.__table__), {"event_id": event_row.id, "title": "Bad", "description": "", "persons": 3,
                                        "offer_type": "solo", "price_cents": 100, "is_published": True,
                                        "created_at": now, "updated_at": now})  # ck_offers_persons refuses
    with pytest.raises(Exception, match=r"ck_offers_persons|CHECK constraint failed"):
        seat_counters.apply_and_commit(session, {event_row.id: (1, 0)}, later)
    session.rollback()
    assert session.get(Event, event_row.id, populate_existing=True).seats_held == 0


def test_python_side_defaults_must_be_given(session: Session) -> None:
    later = sql_batch.Later()
    later.add(insert(Offer.__table__), {"event_id": 1, "title": "No dates"})  # created_at: a Python default
    with pytest.raises(ValueError, match="created_at"):
        seat_counters.apply_and_commit(session, {}, later)
    session.rollback()


def _count_statements(engine: Engine) -> list[str]:
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement.split(None, 1)[0])

    event.listen(engine, "before_cursor_execute", before)
    return seen


def test_hold_and_pay_round_trips_on_postgresql(pg_engine: Engine) -> None:
    with Session(pg_engine, expire_on_commit=False) as s:
        offer = make_offer(s, make_event(s, capacity=5, starts_at=utcnow() + timedelta(days=3)))
        user = make_user(s)
        s.commit()
        seen = _count_statements(pg_engine)
        view = cart.add_item(s, user.id, offer.id)
        # offer + cart upsert (lock), cart lines with the hold deleted (services.orders.cart_take); then hold insert +
        # line + counter + COMMIT in one raw message (not seen here); no second transaction to read the cart back (it
        # was 9 statements, 2 transactions; then 3 with a statement of its own for the hold delete)
        assert len(seen) == 2 and view.count == 1 and view.lines[0].hold_expires_at is not None, seen
        seen.clear()
        checkout.checkout(s, user.id, CARD, idempotency_key="batch-1")
        # cart lock, cart lines with the holds deleted (cart_take), order with its tickets (order_rows); then items,
        # cart, listings, audit, job, counters + COMMIT in one raw message (it was 11 statements, then 5)
        assert len(seen) == 3, seen
        assert s.execute(select(func.count()).select_from(OutboxJob)).scalar_one() == 1  # the mail, exactly once
        assert s.execute(select(Event.seats_sold, Event.seats_held)).one() == (1, 0)
