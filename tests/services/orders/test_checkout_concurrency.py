"""Never oversell, exactly once: real concurrent checkouts on PostgreSQL (threads, one connection each)."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jo_app.db import make_engine
from jo_app.models import Cart, CartItem, Event, Offer, Order, OrderItem, Ticket, User
from jo_app.services import keys
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput
from jo_app.services.errors import ConflictError, ValidationError
from jo_app.services.orders import checkout
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


def seed_buyers(session: Session, offers: list[Offer], quantity: int = 1) -> list[int]:
    """One new user per offer given, each with `quantity` packs of it in the cart (rows written directly)."""
    users = []
    for _ in offers:
        tag = secrets.token_hex(6)
        users.append(User(username=f"u{tag}", email=f"u{tag}@example.test", first_name="Race", last_name="Buyer",
                          password_hash="!", security_key=keys.generate_user_key(), is_verified=True))
    session.add_all(users)
    session.flush()
    carts = [Cart(user_id=u.id) for u in users]
    session.add_all(carts)
    session.flush()
    session.add_all(CartItem(cart_id=c.id, offer_id=o.id, quantity=quantity) for c, o in zip(carts, offers,
                                                                                              strict=True))
    session.commit()
    return [u.id for u in users]


def buy(user_id: int, key: str | None = None) -> Callable[[Session], object]:
    return lambda s: checkout.checkout(s, user_id, GOOD, idempotency_key=key or f"k-{user_id}")


def is_sold_out(outcome: object) -> bool:
    return isinstance(outcome, ConflictError) and outcome.code == "sold_out"


def count(session: Session, query) -> int:
    return int(session.exec(query).one())


def test_200_buyers_race_for_50_seats(pg_engine: Engine, race_engine: Engine) -> None:
    with Session(pg_engine) as s:
        hot = make_event(s, capacity=50, starts_at=utcnow() + timedelta(days=1))
        calm = make_event(s, capacity=100, starts_at=utcnow() + timedelta(days=2))
        solo = make_offer(s, hot, offer_type="solo")
        calm_offer = make_offer(s, calm, offer_type="duo")
        s.commit()
        hot_id, calm_id = hot.id, calm.id
        buyers = seed_buyers(s, [solo] * 200)
        bystander = seed_buyers(s, [calm_offer], quantity=3)[0]  # someone else's cart, not checking out

    results = race(race_engine, [buy(uid) for uid in buyers])

    unexpected = [r for r in results if not isinstance(r, checkout.CheckoutResult) and not is_sold_out(r)]
    assert unexpected == []
    winners = [uid for uid, r in zip(buyers, results, strict=True) if isinstance(r, checkout.CheckoutResult)]
    assert len(winners) == 50 and sum(is_sold_out(r) for r in results) == 150
    with Session(pg_engine) as s:
        assert s.get(Event, hot_id).seats_sold == 50
        assert count(s, select(func.count()).select_from(Order)) == 50
        assert count(s, select(func.count()).select_from(Ticket).where(Ticket.event_id == hot_id)) == 50
        assert count(s, select(func.coalesce(func.sum(Ticket.persons), 0)).where(Ticket.event_id == hot_id)) == 50
        assert s.get(Event, calm_id).seats_sold == 0
        lines = dict(s.exec(select(Cart.user_id, func.sum(CartItem.quantity))
                            .join(CartItem, CartItem.cart_id == Cart.id).group_by(Cart.user_id)).all())
        assert set(lines) == (set(buyers) - set(winners)) | {bystander}  # losers keep their cart, winners' emptied
        assert lines[bystander] == 3


def test_mixed_packs_never_oversell(pg_engine: Engine, race_engine: Engine) -> None:
    with Session(pg_engine) as s:
        event = make_event(s, capacity=10)
        duo = make_offer(s, event, offer_type="duo")
        family = make_offer(s, event, offer_type="family")
        s.commit()
        event_id = event.id
        duo_buyers = seed_buyers(s, [duo] * 12)
        family_buyers = seed_buyers(s, [family] * 12)
        double_duo = seed_buyers(s, [duo] * 6, quantity=2)

    results = race(race_engine, [buy(uid) for uid in duo_buyers + family_buyers + double_duo])

    assert all(isinstance(r, checkout.CheckoutResult) or is_sold_out(r) for r in results), results
    with Session(pg_engine) as s:
        sold = s.get(Event, event_id).seats_sold
        paid_persons = count(s, select(func.coalesce(func.sum(OrderItem.persons * OrderItem.quantity), 0))
                             .join(Order, Order.id == OrderItem.order_id).where(Order.status == "paid"))
        ticket_persons = count(s, select(func.coalesce(func.sum(Ticket.persons), 0)))
    assert sold <= 10 and sold == paid_persons == ticket_persons
    outcome = dict(zip(duo_buyers + family_buyers + double_duo, results, strict=True))
    left = 10 - sold
    # No spurious refusal: a buyer was refused only if the seats really could not fit their packs at the end.
    if any(is_sold_out(outcome[u]) for u in duo_buyers):
        assert left < 2
    if any(is_sold_out(outcome[u]) for u in family_buyers + double_duo):
        assert left < 4


def test_same_key_from_8_threads_makes_one_order(pg_engine: Engine, race_engine: Engine) -> None:
    with Session(pg_engine) as s:
        event = make_event(s, capacity=100)
        family = make_offer(s, event, offer_type="family")
        s.commit()
        event_id = event.id
        (uid,) = seed_buyers(s, [family], quantity=2)

    results = race(race_engine, [buy(uid, "double-click") for _ in range(8)])

    assert all(isinstance(r, checkout.CheckoutResult) for r in results), results
    assert sum(r.created for r in results) == 1
    assert len({(r.order_id, r.reference, r.ticket_ids) for r in results}) == 1
    with Session(pg_engine) as s:
        assert count(s, select(func.count()).select_from(Order)) == 1
        assert count(s, select(func.count()).select_from(Ticket)) == 2
        assert s.get(Event, event_id).seats_sold == 8


def test_same_user_different_keys_buys_the_cart_once(pg_engine: Engine, race_engine: Engine) -> None:
    with Session(pg_engine) as s:
        event = make_event(s, capacity=100)
        solo = make_offer(s, event, offer_type="solo")
        s.commit()
        event_id = event.id
        (uid,) = seed_buyers(s, [solo], quantity=3)

    results = race(race_engine, [buy(uid, f"tab-{i}") for i in range(8)])

    created = [r for r in results if isinstance(r, checkout.CheckoutResult)]
    empty = [r for r in results if isinstance(r, ValidationError) and r.code == "empty_cart"]
    assert len(created) == 1 and len(empty) == 7
    with Session(pg_engine) as s:
        assert s.get(Event, event_id).seats_sold == 3
        assert count(s, select(func.count()).select_from(Ticket)) == 3


def test_capacity_cuts_racing_sales_never_oversell(pg_engine: Engine, race_engine: Engine) -> None:
    with Session(pg_engine) as s:
        event = make_event(s, capacity=60)
        solo = make_offer(s, event, offer_type="solo")
        s.commit()
        event_id = event.id
        data = EventInput(title=event.title, sport=event.sport, venue=event.venue, starts_at=event.starts_at,
                          capacity=60, city=event.city)
        buyers = seed_buyers(s, [solo] * 50)

    def admin(session: Session) -> Counter:
        """Keep cutting the capacity to just what is sold (+0/+1) while sales go on."""
        outcomes: Counter = Counter()
        for attempt in range(40):
            sold = session.exec(select(Event.seats_sold).where(Event.id == event_id)).one()
            session.rollback()
            try:
                catalog_admin.update_event(session, None, event_id,
                                           EventInput(**{**data.__dict__, "capacity": sold + attempt % 2}))
                outcomes["updated"] += 1
            except ValidationError as exc:
                assert exc.field == "capacity"
                outcomes["refused"] += 1
        return outcomes

    results = race(race_engine, [admin, *(buy(uid) for uid in buyers)])

    admin_outcome, sales = results[0], results[1:]
    assert isinstance(admin_outcome, Counter), admin_outcome  # no IntegrityError from the CHECK backstop
    assert sum(admin_outcome.values()) == 40 and admin_outcome["updated"] > 0
    assert all(isinstance(r, checkout.CheckoutResult) or is_sold_out(r) for r in sales), sales
    with Session(pg_engine) as s:
        final = s.get(Event, event_id)
        tickets = count(s, select(func.count()).select_from(Ticket))
        assert final.seats_sold <= final.capacity
        assert final.seats_sold == tickets == sum(isinstance(r, checkout.CheckoutResult) for r in sales)
