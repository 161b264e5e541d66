"""Cart: pricing, quantity rules, per-event pack limit, seat availability, and problem flags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from jo_app.models import Cart, CartItem, Event, Offer
from jo_app.services.errors import NotFoundError, ValidationError
from jo_app.services.orders import cart, cart_view, holds
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_user


@pytest.fixture
def shop(session: Session) -> dict:
    now = utcnow()
    big = make_event(session, title="Athletics", starts_at=now + timedelta(days=2), capacity=100)
    small = make_event(session, title="Swimming", starts_at=now + timedelta(days=1), capacity=5)
    data = {
        "user": make_user(session, first_name="Ada", last_name="Lovelace"),
        "other": make_user(session),
        "big": big, "small": small,
        "solo": make_offer(session, big, offer_type="solo", price_cents=5000),
        "duo": make_offer(session, big, offer_type="duo", price_cents=9000),
        "family": make_offer(session, big, offer_type="family", price_cents=16000),
        "small_solo": make_offer(session, small, offer_type="solo", price_cents=7000),
        "small_family": make_offer(session, small, offer_type="family", price_cents=20000),
    }
    session.commit()
    return data


def test_add_and_price(session: Session, shop: dict) -> None:
    uid = shop["user"].id
    assert cart_view.get_cart(session, uid).is_empty and cart.cart_count(session, uid) == 0
    view = cart.add_item(session, uid, shop["solo"].id, 2)
    view = cart.add_item(session, uid, shop["solo"].id)  # adds to the same line
    view = cart.add_item(session, uid, shop["small_family"].id)
    assert [(line.offer_id, line.quantity) for line in view.lines] == [(shop["small_family"].id, 1),
                                                                        (shop["solo"].id, 3)]  # by event date
    solo = view.lines[1]
    assert (solo.unit_price_cents, solo.line_total_cents, solo.persons, solo.event_title) == (5000, 15000, 1,
                                                                                              "Athletics")
    assert view.total_cents == 15000 + 20000 and view.count == 4 and view.persons == 7
    assert view.can_checkout and all(line.available for line in view.lines)
    assert cart.cart_count(session, uid) == 4
    assert cart.cart_count(session, shop["other"].id) == 0
    assert session.exec(select(func.count()).select_from(Cart)).one() == 1


def test_set_quantity_remove_clear(session: Session, shop: dict) -> None:
    uid = shop["user"].id
    cart.add_item(session, uid, shop["solo"].id)
    cart.add_item(session, uid, shop["duo"].id)
    assert cart.set_quantity(session, uid, shop["solo"].id, 4).count == 5
    view = cart.set_quantity(session, uid, shop["solo"].id, 0)
    assert [line.offer_id for line in view.lines] == [shop["duo"].id]
    assert cart.set_quantity(session, uid, shop["family"].id, 2).count == 3  # set on a new line adds it
    assert cart.remove_item(session, uid, shop["duo"].id).count == 2
    assert cart.remove_item(session, uid, shop["duo"].id).count == 2  # absent: no error
    cart.clear_cart(session, uid)
    assert cart_view.get_cart(session, uid).is_empty
    cart.clear_cart(session, shop["other"].id)  # no cart row yet: fine
    cart.remove_item(session, shop["other"].id, shop["duo"].id)


@pytest.mark.parametrize("quantity", [0, -1, 7, 1.5, "2", True])
def test_add_quantity_validation(session: Session, shop: dict, quantity: object) -> None:
    with pytest.raises(ValidationError) as err:
        cart.add_item(session, shop["user"].id, shop["solo"].id, quantity)
    assert err.value.field == "quantity" and err.value.code == "invalid_quantity"
    assert cart.cart_count(session, shop["user"].id) == 0


def test_per_event_pack_limit(session: Session, shop: dict) -> None:
    uid = shop["user"].id
    cart.add_item(session, uid, shop["solo"].id, 4)
    cart.add_item(session, uid, shop["duo"].id, 2)  # 6 packs for this event: the limit
    with pytest.raises(ValidationError) as err:
        cart.add_item(session, uid, shop["family"].id)
    assert err.value.code == "limit_exceeded"
    with pytest.raises(ValidationError) as err:
        cart.set_quantity(session, uid, shop["solo"].id, 5)
    assert err.value.code == "limit_exceeded"
    cart.add_item(session, uid, shop["small_solo"].id, 3)  # another event has its own limit
    assert cart.cart_count(session, uid) == 9
    assert cart.set_quantity(session, uid, shop["solo"].id, 3).count == 8  # lowering is always fine


def test_seats_left(session: Session, shop: dict) -> None:
    uid = shop["user"].id
    cart.add_item(session, uid, shop["small_family"].id)  # 4 of 5 seats
    with pytest.raises(ValidationError) as err:
        cart.add_item(session, uid, shop["small_solo"].id, 2)
    assert err.value.code == "not_enough_seats"
    cart.add_item(session, uid, shop["small_solo"].id)  # exactly 5
    with pytest.raises(ValidationError) as err:  # all 5 held by the first buyer
        cart.add_item(session, shop["other"].id, shop["small_solo"].id)
    assert err.value.code == "sold_out"
    holds.sweep(session, now=utcnow() + timedelta(days=1))  # the holds expired and were released
    shop["small"].seats_sold = 2  # someone bought meanwhile
    session.add(shop["small"])
    session.commit()
    with pytest.raises(ValidationError) as err:
        cart.add_item(session, shop["other"].id, shop["small_family"].id)  # 3 left < 4 persons
    assert err.value.code == "sold_out"
    view = cart_view.get_cart(session, uid)  # the lines are flagged, not silently dropped
    problems = {line.offer_id: line.problem for line in view.lines}
    assert problems == {shop["small_family"].id: "sold_out", shop["small_solo"].id: "not_enough_seats"}
    assert not view.can_checkout


def test_unavailable_offers(session: Session, shop: dict) -> None:
    uid = shop["user"].id
    with pytest.raises(NotFoundError):
        cart.add_item(session, uid, 999_999)
    cart.add_item(session, uid, shop["solo"].id)
    session.get(Offer, shop["duo"].id).is_published = False
    session.commit()
    with pytest.raises(ValidationError) as err:
        cart.add_item(session, uid, shop["duo"].id)
    assert err.value.code == "unavailable"
    session.get(Event, shop["big"].id).is_published = False
    session.commit()
    with pytest.raises(ValidationError) as err:
        cart.add_item(session, uid, shop["family"].id)
    assert err.value.code == "unavailable"
    assert cart_view.get_cart(session, uid).lines[0].problem == "unavailable"
    past = make_event(session, starts_at=utcnow() - timedelta(minutes=1))
    past_offer = make_offer(session, past)
    session.commit()
    with pytest.raises(ValidationError) as err:
        cart.add_item(session, uid, past_offer.id)
    assert err.value.code == "event_past"
    assert session.exec(select(func.count()).select_from(CartItem)).one() == 1


def test_problem_flags_in_view(session: Session, shop: dict) -> None:
    uid = shop["user"].id
    cart.add_item(session, uid, shop["solo"].id)
    later = utcnow() + timedelta(days=30)
    assert cart_view.get_cart(session, uid, now=later).lines[0].problem == "event_past"
    session.add(CartItem(cart_id=session.exec(select(Cart.id)).one(), offer_id=shop["duo"].id, quantity=6))
    session.commit()  # written behind the service's back: the view still flags the limit
    assert {line.problem for line in cart_view.get_cart(session, uid).lines} == {"limit_exceeded"}


def test_carts_are_per_user(session: Session, shop: dict) -> None:
    cart.add_item(session, shop["user"].id, shop["solo"].id)
    cart.add_item(session, shop["other"].id, shop["duo"].id, 2)
    assert [line.offer_id for line in cart_view.get_cart(session, shop["user"].id).lines] == [shop["solo"].id]
    assert cart_view.get_cart(session, shop["other"].id).count == 2
    assert session.exec(select(func.count()).select_from(Cart)).one() == 2


def test_the_cart_returned_by_a_change_is_the_cart_read_afterwards(session: Session, shop: dict) -> None:
    """Changes without resale listings return a cart built from the rows read in their transaction (no re-read):
    it must be exactly what `get_cart` reads once they committed, line by line (quantities, holds, seats left)."""
    uid, other = shop["user"].id, shop["other"].id
    steps = [
        (uid, lambda: cart.add_item(session, uid, shop["solo"].id, 2)),  # a new line
        (other, lambda: cart.add_item(session, other, shop["small_solo"].id)),  # someone else holds a seat
        (uid, lambda: cart.add_item(session, uid, shop["solo"].id)),  # more packs on the line
        (uid, lambda: cart.add_item(session, uid, shop["duo"].id)),  # a second line of the same event
        (uid, lambda: cart.add_item(session, uid, shop["small_family"].id)),  # another event, first by date
        (uid, lambda: cart.set_quantity(session, uid, shop["solo"].id, 1)),  # fewer packs: seats given back
        (uid, lambda: cart.set_quantity(session, uid, shop["duo"].id, 0)),  # line removed
        (uid, lambda: cart.rehold(session, uid, shop["solo"].id)),  # a live hold: left as it is
    ]
    for owner, step in steps:
        returned = step()
        assert returned == cart_view.get_cart(session, owner)  # `now` a moment later: no hold ends within it
    assert [(line.offer_id, line.seats_left) for line in returned.lines] == [
        (shop["small_family"].id, 4), (shop["solo"].id, 100)]  # left to this cart: 5 - 1 held by the other; 100
