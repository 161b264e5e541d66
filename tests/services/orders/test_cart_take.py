"""The cart's lines read and its holds taken in one statement (services.orders.cart_take), SQLite and PostgreSQL:
the same rows as `cart_rows` read before, the same seats as `holds.take_cart_holds` / `take_line_hold`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from jo_app.models import Cart, SeatHold
from jo_app.services.orders import cart, cart_take, cart_view
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_user


def _shop(session: Session) -> tuple[int, int, int, int]:
    """(user id, cart id, offer id of a 2-pack line, offer id of a 1-pack line of another event)."""
    first = make_event(session, title="Judo", capacity=10, starts_at=utcnow() + timedelta(days=2))
    second = make_event(session, title="Rowing", capacity=10, starts_at=utcnow() + timedelta(days=3))
    solo, other = make_offer(session, first, offer_type="solo"), make_offer(session, second, offer_type="duo")
    user = make_user(session)
    session.commit()
    user_id, solo_id, other_id = user.id, solo.id, other.id
    cart.add_item(session, user_id, solo_id, 2)
    cart.add_item(session, user_id, other_id, 1)
    cart_id = session.exec(select(Cart.id).where(Cart.user_id == user_id)).one()
    return user_id, cart_id, solo_id, other_id


def _holds(session: Session) -> int:
    return session.exec(select(func.count()).select_from(SeatHold)).one()


def test_rows_taking_cart_holds(session: Session) -> None:
    user_id, cart_id, solo_id, other_id = _shop(session)
    now = utcnow()
    before = cart_view.cart_rows(session, user_id, now)
    session.rollback()
    rows, taken = cart_take.rows_taking_cart_holds(session, user_id, cart_id, now)
    assert rows == before and [row.offer_id for row in rows] == [solo_id, other_id]
    assert taken == {rows[0].event_id: 2, rows[1].event_id: 2} and _holds(session) == 0  # deleted...
    session.rollback()
    assert _holds(session) == 2  # ...in the caller's transaction only


def test_rows_taking_line_hold(session: Session) -> None:
    user_id, cart_id, solo_id, other_id = _shop(session)
    now = utcnow()
    before = cart_view.cart_rows(session, user_id, now)
    session.rollback()
    rows, seats, until = cart_take.rows_taking_line_hold(session, user_id, cart_id, other_id, now)
    assert rows == before and seats == 2 and until == before[1].hold_expires_at
    assert session.exec(select(SeatHold.offer_id)).all() == [solo_id]  # only that line's hold
    session.rollback()


def test_a_line_without_hold_and_a_hold_without_line(session: Session) -> None:
    user_id, cart_id, solo_id, _other_id = _shop(session)
    cart.release_holds(session, user_id)  # the lines stay, their holds are gone (logout)
    rows, seats, until = cart_take.rows_taking_line_hold(session, user_id, cart_id, solo_id, utcnow())
    assert len(rows) == 2 and (seats, until) == (0, None)
    session.rollback()
    cart.clear_cart(session, user_id)  # an empty cart: its hold is still taken (and told) by the one statement
    expiry = utcnow() + timedelta(minutes=5)
    session.add(SeatHold(cart_id=cart_id, offer_id=solo_id, event_id=cart_view.offer_rows(session, {solo_id: 1})[0]
                         .event_id, seats=1, expires_at=expiry))
    session.flush()
    rows, seats, until = cart_take.rows_taking_line_hold(session, user_id, cart_id, solo_id, utcnow())
    assert rows == [] and (seats, until) == (1, expiry) and _holds(session) == 0
    session.rollback()
