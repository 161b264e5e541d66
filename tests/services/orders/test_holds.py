"""Seat holds: adding to the cart holds seats for CART_HOLD_MINUTES; expiry, release, re-hold, checkout of held
seats (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, update
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import CartItem, Event, Order, SeatHold, Ticket, User
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog import listing as catalog
from jo_app.services.errors import ConflictError, ValidationError
from jo_app.services.orders import cart, cart_view, checkout, holds
from jo_app.services.orders import history as orders
from jo_app.services.payment import PaymentCard
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_user

GOOD = PaymentCard("4242 4242 4242 4242", 12, utcnow().year + 2, "123", "Ada Lovelace")


@pytest.fixture
def shop(session: Session) -> dict:
    event = make_event(session, title="Judo", capacity=4, starts_at=utcnow() + timedelta(days=2))
    other_event = make_event(session, title="Rowing", capacity=100, starts_at=utcnow() + timedelta(days=3))
    data = {"event": event, "other_event": other_event,
            "solo": make_offer(session, event, offer_type="solo"), "duo": make_offer(session, event, offer_type="duo"),
            "rowing": make_offer(session, other_event, offer_type="solo"),
            "a": make_user(session), "b": make_user(session)}
    session.commit()
    return data


def counters(session: Session, event_id: int) -> tuple[int, int]:
    """(seats_sold, seats_held) of an event, checking the invariant held == sum of its hold rows."""
    session.expire_all()
    event = session.get(Event, event_id)
    rows = session.exec(select(func.coalesce(func.sum(SeatHold.seats), 0)).where(SeatHold.event_id == event_id)).one()
    assert event.seats_held == rows, "events.seats_held must equal the sum of the event's hold rows"
    assert event.seats_sold + event.seats_held <= event.capacity
    return event.seats_sold, event.seats_held


def expire_holds(session: Session) -> None:
    """Move holds' expiry into the past (as if the buyer had waited), without releasing them."""
    statement = update(SeatHold).values(expires_at=utcnow() - timedelta(seconds=1))
    session.exec(statement)
    session.commit()


def test_adding_holds_the_seats_until_expiry(session: Session, shop: dict) -> None:
    before = utcnow()
    view = cart.add_item(session, shop["a"].id, shop["duo"].id)
    assert counters(session, shop["event"].id) == (0, 2)
    line = view.lines[0]
    minutes = get_settings().cart_hold_minutes
    assert line.hold_expires_at is not None and not line.hold_expired
    assert before + timedelta(minutes=minutes) <= line.hold_expires_at <= utcnow() + timedelta(minutes=minutes)
    assert view.hold_expires_at == line.hold_expires_at
    # Seats left everywhere count the held seats as taken.
    assert catalog.seats_left_by_event(session, [shop["event"].id]) == {shop["event"].id: 2}
    assert catalog.get_event(session, shop["event"].id).seats_left == 2
    assert catalog.published_seats_left(session)[shop["event"].id] == 2  # the live stock pushed to shop pages
    # The other buyer cannot take held seats.
    with pytest.raises(ValidationError) as err:
        cart.add_item(session, shop["b"].id, shop["solo"].id, 3)
    assert err.value.code == "not_enough_seats"
    cart.add_item(session, shop["b"].id, shop["solo"].id, 2)
    with pytest.raises(ValidationError) as err:  # B's 2 held + 1 more: no third seat for B
        cart.add_item(session, shop["b"].id, shop["solo"].id)
    assert err.value.code == "not_enough_seats"
    with pytest.raises(ValidationError) as err:
        cart.add_item(session, shop["a"].id, shop["solo"].id)
    assert err.value.code == "sold_out"
    assert counters(session, shop["event"].id) == (0, 4)


def test_changing_and_removing_lines_moves_the_hold(session: Session, shop: dict) -> None:
    uid, event_id = shop["a"].id, shop["event"].id
    cart.add_item(session, uid, shop["solo"].id, 1)
    first_expiry = session.exec(select(SeatHold.expires_at)).one()
    cart.set_quantity(session, uid, shop["solo"].id, 3)
    assert counters(session, event_id) == (0, 3)
    assert session.exec(select(SeatHold.expires_at)).one() >= first_expiry  # more packs: held afresh
    cart.set_quantity(session, uid, shop["solo"].id, 1)
    assert counters(session, event_id) == (0, 1)
    cart.add_item(session, uid, shop["rowing"].id, 2)
    cart.remove_item(session, uid, shop["solo"].id)
    assert counters(session, event_id) == (0, 0)
    assert counters(session, shop["other_event"].id) == (0, 2)
    assert cart.clear_cart(session, uid) == {shop["other_event"].id: 2}
    assert counters(session, shop["other_event"].id) == (0, 0)
    assert session.exec(select(func.count()).select_from(SeatHold)).one() == 0


def test_per_user_limit_applies_to_holds(session: Session, shop: dict) -> None:
    rowing = shop["rowing"]
    cart.add_item(session, shop["a"].id, rowing.id, 6)
    with pytest.raises(ValidationError) as err:
        cart.add_item(session, shop["a"].id, rowing.id, 1)
    assert err.value.code == "limit_exceeded"
    assert counters(session, shop["other_event"].id) == (0, 6)


def test_checkout_turns_held_seats_into_sold_ones(session: Session, shop: dict) -> None:
    cart.add_item(session, shop["a"].id, shop["duo"].id, 2)  # all 4 seats held
    cart.add_item(session, shop["a"].id, shop["rowing"].id)
    result = checkout.checkout(session, shop["a"].id, GOOD, idempotency_key="k1")
    assert result.created and len(result.ticket_ids) == 3
    assert counters(session, shop["event"].id) == (4, 0)
    assert counters(session, shop["other_event"].id) == (1, 0)
    assert session.exec(select(func.count()).select_from(SeatHold)).one() == 0


def test_an_expired_hold_can_still_be_paid_while_nobody_took_it(session: Session, shop: dict) -> None:
    cart.add_item(session, shop["a"].id, shop["duo"].id, 2)
    expire_holds(session)
    view = cart_view.get_cart(session, shop["a"].id)
    assert view.lines[0].hold_expired and view.lines[0].hold_expires_at is None and view.hold_expires_at is None
    assert view.can_checkout  # the seats are still there
    checkout.checkout(session, shop["a"].id, GOOD, idempotency_key="k1")
    assert counters(session, shop["event"].id) == (4, 0)


def test_an_expired_hold_is_released_when_someone_needs_the_seats(session: Session, shop: dict) -> None:
    a, b = shop["a"].id, shop["b"].id
    cart.add_item(session, a, shop["duo"].id, 2)
    expire_holds(session)
    cart.add_item(session, b, shop["solo"].id, 3)  # A's expired hold is released at once for B
    assert counters(session, shop["event"].id) == (0, 3)
    view = cart_view.get_cart(session, a)
    assert view.lines[0].hold_expired and view.lines[0].problem == "sold_out" and not view.can_checkout
    cart_before = session.exec(select(CartItem.offer_id, CartItem.quantity)).all()
    with pytest.raises(ConflictError) as err:  # A pays too late: refused cleanly
        checkout.checkout(session, a, GOOD, idempotency_key="late")
    assert err.value.code == "sold_out"
    assert session.exec(select(func.count()).select_from(Order)).one() == 0
    assert session.exec(select(CartItem.offer_id, CartItem.quantity)).all() == cart_before
    assert counters(session, shop["event"].id) == (0, 3)
    # Try again: one seat remains, A lowers to what is left and holds again.
    with pytest.raises(ValidationError):
        cart.rehold(session, a, shop["duo"].id)
    cart.set_quantity(session, a, shop["duo"].id, 1)
    with pytest.raises(ValidationError) as err:  # a duo needs 2 seats, 1 left
        cart.rehold(session, a, shop["duo"].id)
    assert err.value.code == "sold_out"
    cart.remove_item(session, b, shop["solo"].id)
    view = cart.rehold(session, a, shop["duo"].id)
    assert view.lines[0].hold_expires_at is not None and counters(session, shop["event"].id) == (0, 2)


def test_rehold_renews_only_an_expired_hold(session: Session, shop: dict) -> None:
    a = shop["a"].id
    cart.add_item(session, a, shop["solo"].id)
    live = session.exec(select(SeatHold.expires_at)).one()
    cart.rehold(session, a, shop["solo"].id)
    assert session.exec(select(SeatHold.expires_at)).one() == live  # a live hold is not extended
    expire_holds(session)
    view = cart.rehold(session, a, shop["solo"].id)
    assert view.lines[0].hold_expires_at > utcnow() and counters(session, shop["event"].id) == (0, 1)


def test_sweep_releases_expired_holds_only(session: Session, shop: dict) -> None:
    cart.add_item(session, shop["a"].id, shop["duo"].id)
    expire_holds(session)
    cart.add_item(session, shop["b"].id, shop["rowing"].id, 3)
    assert holds.sweep(session) == {shop["event"].id: 2}
    assert counters(session, shop["event"].id) == (0, 0)
    assert counters(session, shop["other_event"].id) == (0, 3)
    assert holds.sweep(session) == {}


def test_logout_release_keeps_the_lines(session: Session, shop: dict) -> None:
    cart.add_item(session, shop["a"].id, shop["duo"].id)
    assert cart.release_holds(session, shop["a"].id) == {shop["event"].id: 2}
    assert counters(session, shop["event"].id) == (0, 0)
    assert cart.cart_count(session, shop["a"].id) == 1
    assert cart_view.get_cart(session, shop["a"].id).lines[0].hold_expired


def test_cancellation_returns_seats_and_holds_are_untouched(session: Session, shop: dict) -> None:
    cart.add_item(session, shop["a"].id, shop["duo"].id)
    result = checkout.checkout(session, shop["a"].id, GOOD, idempotency_key="k")
    cart.add_item(session, shop["b"].id, shop["duo"].id)
    assert counters(session, shop["event"].id) == (2, 2)
    orders.cancel_order(session, None, result.reference)
    assert counters(session, shop["event"].id) == (0, 2)
    cart.add_item(session, shop["a"].id, shop["duo"].id)  # the cancelled seats can be held again
    assert counters(session, shop["event"].id) == (0, 4)


def test_admin_edits_respect_held_seats(session: Session, shop: dict) -> None:
    cart.add_item(session, shop["a"].id, shop["duo"].id)
    cart.add_item(session, shop["b"].id, shop["solo"].id)
    event = session.get(Event, shop["event"].id)
    data = catalog_admin.EventInput(title=event.title, sport=event.sport, venue=event.venue, starts_at=event.starts_at,
                              capacity=2, description="", city=event.city)
    with pytest.raises(ValidationError) as err:
        catalog_admin.update_event(session, None, event.id, data)
    assert err.value.code == "capacity_below_sold"
    catalog_admin.delete_offer(session, None, shop["duo"].id)  # never sold: its holds go with it
    assert counters(session, shop["event"].id) == (0, 1)


def test_direct_api_orders_cannot_take_held_seats(session: Session, shop: dict) -> None:
    from jo_app.services.orders import direct_order

    cart.add_item(session, shop["a"].id, shop["duo"].id, 2)
    with pytest.raises(ConflictError):
        direct_order.checkout_items(session, shop["b"].id, [(shop["solo"].id, 1)], GOOD, idempotency_key="d")
    assert session.exec(select(func.count()).select_from(Ticket)).one() == 0
    expire_holds(session)  # expired: released for the direct buyer
    direct_order.checkout_items(session, shop["b"].id, [(shop["solo"].id, 1)], GOOD, idempotency_key="d")
    assert counters(session, shop["event"].id) == (1, 0)


def test_account_erasure_gives_held_seats_back(session: Session, shop: dict) -> None:
    from jo_app.services import privacy
    from jo_app.services.accounts import users

    result = users.register(session, email="holder@example.org", password="Sprint!Paris2024",
                            first_name="Camille", last_name="Durand", consent=True, client_ip="10.0.0.1")
    session.exec(update(User).where(User.id == result.user_id).values(is_verified=True))
    session.commit()
    cart.add_item(session, result.user_id, shop["duo"].id, 2)
    assert counters(session, shop["event"].id) == (0, 4)
    privacy.delete_account(session, result.user_id, "Sprint!Paris2024")
    assert counters(session, shop["event"].id) == (0, 0)
    assert session.exec(select(func.count()).select_from(SeatHold)).one() == 0


def test_a_change_returns_the_cart_as_committed(session: Session, shop: dict) -> None:
    """The cart a change returns is read in its own transaction before the commit, with the seats it holds counted:
    the same view (seats left included) as a fresh read after the commit."""
    a, b = shop["a"].id, shop["b"].id
    for user, change in ((a, lambda: cart.add_item(session, a, shop["solo"].id, 1)),
                         (a, lambda: cart.add_item(session, a, shop["rowing"].id, 2)),
                         (a, lambda: cart.set_quantity(session, a, shop["solo"].id, 3)),
                         (a, lambda: cart.set_quantity(session, a, shop["solo"].id, 2)),
                         (b, lambda: cart.add_item(session, b, shop["duo"].id, 1))):
        assert change() == cart_view.get_cart(session, user)
    # Seats left on a line: capacity - sold - held by everyone + held by this cart (4 - 4 + 2; 100 - 2 + 2).
    assert [line.seats_left for line in cart_view.get_cart(session, a).lines] == [2, 100]
