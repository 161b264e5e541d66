"""The seats are taken at commit time: a change made by someone else while a buyer pays is seen there.

PostgreSQL only: there the seat UPDATEs and the COMMIT travel in one message and a refusal comes from the CHECK
constraint (seats within capacity); SQLite serialises writers, so nothing can change in between.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jo_app.models import AuditLog, CartItem, Event, Order, Ticket
from jo_app.services.errors import ConflictError, ValidationError
from jo_app.services.orders import cart, cart_take, checkout, holds
from jo_app.services.payment import PaymentCard
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_user

GOOD = PaymentCard("4242 4242 4242 4242", 12, utcnow().year + 2, "123", "Ada Lovelace")


def _shop(engine: Engine) -> tuple[int, int, int]:
    """(user id, event id of a 10-seat session with 3 sold, the other event's id); the cart holds 2 solo packs of
    the first and one of the second."""
    with Session(engine) as session:
        first = make_event(session, title="Fencing", capacity=10, starts_at=utcnow() + timedelta(days=2))
        first.seats_sold = 3
        second = make_event(session, title="Judo", capacity=10, starts_at=utcnow() + timedelta(days=3))
        solo = make_offer(session, first, offer_type="solo")
        other = make_offer(session, second, offer_type="solo")
        user = make_user(session)
        session.commit()
        ids = user.id, first.id, second.id
        cart.add_item(session, user.id, solo.id, 2)
        cart.add_item(session, user.id, other.id, 1)
    return ids


def _count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize(("change", "error", "code"), [
    ("fill_seats", ConflictError, "sold_out"),
    ("unpublish", ValidationError, "unavailable"),
])
def test_a_change_while_paying_refuses_the_order_and_changes_nothing(
        pg_engine: Engine, monkeypatch: pytest.MonkeyPatch, change: str, error: type, code: str) -> None:
    user_id, event_id, other_event_id = _shop(pg_engine)
    read_cart = cart_take.rows_taking_cart_holds

    def cart_read_then_someone_else_commits(session: Session, uid: int, cart_id: int, now=None):
        if change == "fill_seats":  # the buyer's holds expired and were released before the payment read the cart
            with Session(pg_engine) as other:
                holds.sweep(other, now=utcnow() + timedelta(days=1))
        rows = read_cart(session, uid, cart_id, now)  # the buyer's transaction has read the cart: published...
        with Session(pg_engine) as other:
            event = other.get(Event, event_id)
            if change == "fill_seats":  # ...and 7 seats left then; others bought the seats meanwhile
                event.seats_sold = 9  # one seat left, two wanted
            else:
                event.is_published = False
            other.commit()
        return rows

    monkeypatch.setattr(cart_take, "rows_taking_cart_holds", cart_read_then_someone_else_commits)
    with Session(pg_engine) as session:
        with pytest.raises(error) as err:
            checkout.checkout(session, user_id, GOOD, idempotency_key="pay-1")
        assert err.value.code == code and "Fencing" in err.value.message
        assert (_count(session, Order), _count(session, Ticket)) == (0, 0)
        assert session.exec(select(func.count()).where(AuditLog.action == "order.paid")).one() == 0
        assert sorted(session.exec(select(CartItem.quantity)).all()) == [1, 2]  # the cart is intact
        seats = dict(session.exec(select(Event.id, Event.seats_sold)).all())
        assert seats == {event_id: 9 if change == "fill_seats" else 3, other_event_id: 0}


def test_seats_and_commit_in_one_message_still_sell_to_the_last_seat(pg_engine: Engine) -> None:
    user_id, event_id, other_event_id = _shop(pg_engine)
    with Session(pg_engine) as session:
        session.get(Event, event_id).seats_sold = 8  # exactly the 2 wanted are left
        session.commit()
        result = checkout.checkout(session, user_id, GOOD, idempotency_key="pay-1")
        assert result.created and len(result.ticket_ids) == 3
        session.expire_all()
        assert dict(session.exec(select(Event.id, Event.seats_sold)).all()) == {event_id: 10, other_event_id: 1}
        # The Session's transaction ended cleanly: the next one works on the same connection.
        assert session.exec(select(Order.status)).one() == "paid"
