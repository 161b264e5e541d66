"""The UI payment's idempotency key belongs to the cart being paid (issue 12), not to the payment page's load.

Scenario of the issue: an order is paid, the visitor fills the cart again and pays before the payment page's
on_load has run: the payment must make a NEW order (never hand back the previous one), the database cart must be
emptied by it, and a resubmit of an already-paid cart gives back that order without paying twice.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from jo_app.models import Order
from jo_app.services import payment
from jo_app.services.accounts import users
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.services.orders import cart as cart_service
from jo_app.services.orders import cart_view
from jo_app.services.orders.cart_key import content_key
from jo_app.state.orders import checkout as checkout_state
from jo_app.timeutil import utcnow

CARD = payment.PaymentCard("4242424242424242", 12, utcnow().year + 2, "123", "Ada")


@pytest.fixture
def world(db_engine):
    engine = db_engine
    with Session(engine) as db:
        user = users.create_user(db, email="key@example.org", password="Piste!Verte2024", first_name="A",
                                 last_name="B", verified=True)
        db.commit()
        event_id = catalog_admin.create_event(db, None, EventInput(
            title="Finale", sport="Judo", venue="Arena", capacity=40,
            starts_at=(utcnow() + timedelta(days=10)).replace(microsecond=0)))
        offer_id = catalog_admin.create_offer(db, None, OfferInput(event_id=event_id, title="Solo", offer_type="solo",
                                                                   price_cents=1000))
        return engine, int(user.id), offer_id


def _add(engine, user_id: int, offer_id: int, quantity: int = 1) -> None:
    with Session(engine) as db:
        cart_service.add_item(db, user_id, offer_id, quantity)


def _key(engine, user_id: int) -> str | None:
    with Session(engine) as db:
        return content_key(db, user_id)


def _orders(engine, user_id: int) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(Order).where(Order.user_id == user_id)).one()


def test_key_follows_the_cart_content(world) -> None:
    engine, user_id, offer_id = world
    assert _key(engine, user_id) is None
    _add(engine, user_id, offer_id)
    first = _key(engine, user_id)
    assert first and first == _key(engine, user_id)  # stable while the cart does not change
    with Session(engine) as db:
        cart_service.set_quantity(db, user_id, offer_id, 2)
    assert _key(engine, user_id) not in (None, first)


def test_a_second_cart_paid_before_the_page_reloads_makes_a_new_order(world) -> None:
    engine, user_id, offer_id = world
    _add(engine, user_id, offer_id)
    first, first_key = checkout_state._pay(user_id, CARD, "", None)
    assert first.created and _orders(engine, user_id) == 1

    # Same pack again; the payment page's on_load has not run: the page still holds the previous key.
    _add(engine, user_id, offer_id)
    second, second_key = checkout_state._pay(user_id, CARD, first_key, None)
    assert second.created and second.reference != first.reference and second_key != first_key
    assert _orders(engine, user_id) == 2
    with Session(engine) as db:
        assert not cart_view.get_cart(db, user_id).lines  # the DB cart agrees with the emptied UI cart

    # A resubmit of the paid cart (double click landing late) gives that order back, without paying again.
    again, again_key = checkout_state._pay(user_id, CARD, second_key, None)
    assert (again.reference, again.created, again_key) == (second.reference, False, second_key)
    assert _orders(engine, user_id) == 2


def test_the_key_read_with_the_lock_is_the_content_key(world) -> None:
    """`key_and_lock` (PostgreSQL: the lines in the locking statement) gives the same key as `content_key`, whatever
    the lines' times (microseconds trimmed in PostgreSQL's JSON), and the cart row it returns stays locked."""
    from sqlalchemy import text, update
    from sqlalchemy.exc import OperationalError

    from jo_app.models import CartItem
    from jo_app.services.orders.cart_key import key_and_lock

    engine, user_id, offer_id = world
    with Session(engine) as db:
        assert key_and_lock(db, user_id) == (None, None)  # no cart yet
    _add(engine, user_id, offer_id, 2)
    for micro in (0, 123400, 5, 999999):
        with Session(engine) as db:
            db.exec(update(CartItem).values(added_at=utcnow().replace(microsecond=micro)))
            db.commit()
        expected = _key(engine, user_id)
        with Session(engine) as db:
            key, locked = key_and_lock(db, user_id)
            assert key == expected and key is not None
            if engine.dialect.name != "postgresql":
                assert locked is None  # the checkout locks the cart itself
                continue
            assert locked.email == "key@example.org"
            with engine.connect() as other, pytest.raises(OperationalError):  # the cart row is locked
                other.execute(text("SELECT id FROM carts WHERE id = :id FOR UPDATE NOWAIT"), {"id": locked.cart_id})


def test_a_payment_with_the_row_from_key_and_lock_pays_once(world) -> None:
    engine, user_id, offer_id = world
    _add(engine, user_id, offer_id, 1)
    with Session(engine) as db:
        first, key = checkout_state._pay_in(db, user_id, CARD, "", None)
    with Session(engine) as db:  # a resubmit of the paid cart: the same order, nothing paid again
        again, again_key = checkout_state._pay_in(db, user_id, CARD, key, None)
    assert first.created and not again.created and again.order_id == first.order_id and again_key == key
    assert _orders(engine, user_id) == 1
