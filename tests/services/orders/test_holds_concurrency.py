"""Seat holds never oversell: real concurrent holds, expiries, checkouts and cancellations on PostgreSQL (threads,
one connection each)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jo_app.db import make_engine
from jo_app.models import CartItem, Event, Order, SeatHold, Ticket, TicketStatus, User
from jo_app.services import keys
from jo_app.services.errors import ConflictError, ValidationError
from jo_app.services.orders import cart, cart_take, cart_view, checkout, holds
from jo_app.services.orders import history as orders
from jo_app.services.payment import PaymentCard
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer
from tests.races import race

GOOD = PaymentCard("4242424242424242", 12, utcnow().year + 2, "123", "Buyer")


@pytest.fixture
def race_engine(pg_engine: Engine) -> Iterator[Engine]:
    """A separate pool so that dozens of threads really hold their own connections at once."""
    engine = make_engine(pg_engine.url.render_as_string(hide_password=False), pool_size=32, max_overflow=0,
                         pool_timeout=60)
    yield engine
    engine.dispose()


def users(session: Session, n: int) -> list[int]:
    tag = secrets.token_hex(4)
    made = [User(username=f"h{tag}{i}", email=f"h{tag}{i}@example.test", first_name="Race", last_name="Buyer",
                 password_hash="!", security_key=keys.generate_user_key(), is_verified=True) for i in range(n)]
    session.add_all(made)
    session.commit()
    return [u.id for u in made]


def check_invariants(engine: Engine, event_id: int) -> tuple[int, int]:
    """(seats_sold, seats_held), after checking them against the ticket and hold rows."""
    with Session(engine) as s:
        event = s.get(Event, event_id)
        held = s.exec(select(func.coalesce(func.sum(SeatHold.seats), 0)).where(SeatHold.event_id == event_id)).one()
        sold = s.exec(select(func.coalesce(func.sum(Ticket.persons), 0)).where(
            Ticket.event_id == event_id, Ticket.status != TicketStatus.CANCELLED.value)).one()
        assert event.seats_held == held and event.seats_sold == sold
        assert event.seats_sold + event.seats_held <= event.capacity
        return event.seats_sold, event.seats_held


def shop(engine: Engine, capacity: int) -> tuple[int, int]:
    with Session(engine) as s:
        event = make_event(s, capacity=capacity, starts_at=utcnow() + timedelta(days=2), title="Fencing")
        offer = make_offer(s, event, offer_type="solo")
        s.commit()
        return event.id, offer.id


def test_200_buyers_holding_50_seats_get_exactly_50_holds(race_engine: Engine) -> None:
    event_id, offer_id = shop(race_engine, 50)
    with Session(race_engine) as s:
        buyers = users(s, 200)
    results = race(race_engine, [lambda s, u=u: cart.add_item(s, u, offer_id) for u in buyers])
    held = [r for r in results if isinstance(r, cart_view.CartView)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(held) == 50 and len(refused) == 150, [r for r in results if isinstance(r, Exception)][:3]
    assert {r.code for r in refused} == {"sold_out"}
    assert check_invariants(race_engine, event_id) == (0, 50)
    # and every holder can pay, concurrently, without a single "sold out"
    holders = [u for u, r in zip(buyers, results, strict=True) if isinstance(r, cart_view.CartView)]
    paid = race(race_engine, [lambda s, u=u: checkout.checkout(s, u, GOOD, idempotency_key=f"k{u}")
                              for u in holders[:32]])
    assert all(isinstance(r, checkout.CheckoutResult) for r in paid), paid
    assert check_invariants(race_engine, event_id) == (32, 18)


def test_expired_holds_retaken_by_a_crowd_while_their_owners_pay(race_engine: Engine) -> None:
    """20 seats held then expired; 20 owners pay while 40 others try to hold: never more than 20 seats out."""
    event_id, offer_id = shop(race_engine, 20)
    with Session(race_engine) as s:
        owners, others = users(s, 20), users(s, 40)
        for u in owners:
            cart.add_item(s, u, offer_id)
        s.exec(update(SeatHold).values(expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    jobs = [lambda s, u=u: checkout.checkout(s, u, GOOD, idempotency_key=f"k{u}") for u in owners]
    jobs += [lambda s, u=u: cart.add_item(s, u, offer_id) for u in others]
    jobs.append(lambda s: holds.sweep(s))
    results = race(race_engine, jobs)
    paid = sum(isinstance(r, checkout.CheckoutResult) for r in results[:20])
    retaken = sum(isinstance(r, cart_view.CartView) for r in results[20:60])
    failures = [r for r in results[:60] if isinstance(r, Exception)]
    assert all(isinstance(r, (ConflictError, ValidationError)) and r.code == "sold_out" for r in failures), failures
    assert paid + retaken == 20
    sold, held = check_invariants(race_engine, event_id)
    assert (sold, held) == (paid, retaken)
    with Session(race_engine) as s:  # a refused owner's cart is intact, no order
        assert s.exec(select(func.count()).select_from(Order)).one() == paid
        assert s.exec(select(func.count()).select_from(CartItem)).one() == 20 - paid + retaken


def test_a_hold_retaken_after_expiry_during_payment_fails_cleanly(pg_engine: Engine,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    event_id, offer_id = shop(pg_engine, 2)
    with Session(pg_engine) as s:
        first, second = users(s, 2)
        cart.add_item(s, first, offer_id, 2)
    read_cart = cart_take.rows_taking_cart_holds

    def the_hold_expires_and_is_retaken_then_cart_read(session: Session, uid: int, cart_id: int, now=None):
        # The first buyer is paying (cart locked); once its payment has read the cart, the holds are its own (taken in
        # that statement): the hold is retaken just before.
        with Session(pg_engine) as other:
            other.exec(update(SeatHold).values(expires_at=utcnow() - timedelta(seconds=1)))
            other.commit()
            cart.add_item(other, second, offer_id, 2)  # released at once for the second buyer
        return read_cart(session, uid, cart_id, now)

    monkeypatch.setattr(cart_take, "rows_taking_cart_holds", the_hold_expires_and_is_retaken_then_cart_read)
    with Session(pg_engine) as s, pytest.raises(ConflictError) as err:
        checkout.checkout(s, first, GOOD, idempotency_key="pay")
    assert err.value.code == "sold_out"
    monkeypatch.undo()
    with Session(pg_engine) as s:
        assert s.exec(select(func.count()).select_from(Order)).one() == 0
        assert cart.cart_count(s, first) == 2 and cart_view.get_cart(s, first).lines[0].hold_expired
    assert check_invariants(pg_engine, event_id) == (0, 2)
    with Session(pg_engine) as s:
        assert checkout.checkout(s, second, GOOD, idempotency_key="pay2").created
    assert check_invariants(pg_engine, event_id) == (2, 0)


def test_a_hold_expiring_during_payment_is_still_paid(pg_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    event_id, offer_id = shop(pg_engine, 2)
    with Session(pg_engine) as s:
        (buyer,) = users(s, 1)
        cart.add_item(s, buyer, offer_id, 2)
    read_cart = cart_take.rows_taking_cart_holds

    def expiry_then_cart_read(session: Session, uid: int, cart_id: int, now=None):
        with Session(pg_engine) as other:  # the hold expires while the buyer pays; nobody has released it yet
            other.exec(update(SeatHold).values(expires_at=utcnow() - timedelta(seconds=1)))
            other.commit()
        return read_cart(session, uid, cart_id, now)

    monkeypatch.setattr(cart_take, "rows_taking_cart_holds", expiry_then_cart_read)
    with Session(pg_engine) as s:
        assert checkout.checkout(s, buyer, GOOD, idempotency_key="pay").created
    assert check_invariants(pg_engine, event_id) == (2, 0)


def test_double_click_with_holds_pays_once(race_engine: Engine) -> None:
    event_id, offer_id = shop(race_engine, 10)
    with Session(race_engine) as s:
        (buyer,) = users(s, 1)
        cart.add_item(s, buyer, offer_id, 3)
    results = race(race_engine, [lambda s: checkout.checkout(s, buyer, GOOD, idempotency_key="same")] * 8)
    assert all(isinstance(r, checkout.CheckoutResult) for r in results), results
    assert len({r.order_id for r in results}) == 1 and sum(r.created for r in results) == 1
    assert check_invariants(race_engine, event_id) == (3, 0)
    # and double clicks on "add": each click adds one pack, never more seats than packs
    results = race(race_engine, [lambda s: cart.add_item(s, buyer, offer_id, 1)] * 6)
    assert sum(isinstance(r, cart_view.CartView) for r in results) == 6
    assert check_invariants(race_engine, event_id) == (3, 6)


def test_holds_racing_cancellations(race_engine: Engine) -> None:
    """10 seats, all sold in 10 orders; the orders are cancelled while 20 buyers try to hold a seat."""
    event_id, offer_id = shop(race_engine, 10)
    with Session(race_engine) as s:
        owners, others = users(s, 10), users(s, 20)
        references = []
        for u in owners:
            cart.add_item(s, u, offer_id)
            references.append(checkout.checkout(s, u, GOOD, idempotency_key=f"k{u}").reference)
    jobs = [lambda s, r=r: orders.cancel_order(s, None, r) for r in references]
    jobs += [lambda s, u=u: cart.add_item(s, u, offer_id) for u in others]
    results = race(race_engine, jobs)
    assert all(r is None for r in results[:10]), results[:10]
    held = sum(isinstance(r, cart_view.CartView) for r in results[10:])
    assert all(isinstance(r, (cart_view.CartView, ValidationError)) for r in results[10:])
    assert check_invariants(race_engine, event_id) == (0, held)
    # How many buyers came after a cancellation depends on the interleaving (0 when every add ran first): the
    # cancelled seats must all be free now whatever it was, and no more than that.
    assert held <= 10
    with Session(race_engine) as s:
        late = users(s, 11 - held)
        for u in late[:-1]:
            cart.add_item(s, u, offer_id)
        with pytest.raises(ValidationError):
            cart.add_item(s, late[-1], offer_id)
    assert check_invariants(race_engine, event_id) == (0, 10)
