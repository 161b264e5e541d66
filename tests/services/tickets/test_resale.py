"""Official resale at face value: list, withdraw, bought through the normal checkout (even when sold out), the seller
refunded minus the fee, the old QR void; limits; and PostgreSQL races (one listing, many buyers; transfer vs
listing; the seller's scan vs the sale)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jo_app.models import (
    Event,
    ListingStatus,
    Offer,
    Order,
    OrderItem,
    ResaleListing,
    ScanVerdict,
    Ticket,
    TicketStatus,
)
from jo_app.services import payment
from jo_app.services.errors import ConflictError, DomainError, NotFoundError
from jo_app.services.gate.admission import validate_scan
from jo_app.services.orders import cart, cart_view, checkout, direct_order
from jo_app.services.tickets import resale, signing, transfers
from jo_app.services.tickets.tokens import ensure_payload
from jo_app.timeutil import utcnow
from tests.races import race
from tests.services.tickets.ownership_world import build, fresh

CARD = payment.PaymentCard("4242424242424242", 12, utcnow().year + 3, "123")


@pytest.fixture(autouse=True)
def _fresh_keys():
    signing.clear_cache()
    yield
    signing.clear_cache()


def _open_resale(session: Session, event_id: int, *, fee_bps: int = 0, sold_out: bool = True) -> None:
    event = session.get(Event, event_id)
    event.resale_enabled, event.resale_fee_bps = True, fee_bps
    if sold_out:
        event.capacity = event.seats_sold = 6  # every seat sold: only resale can serve a buyer
    session.add(event)
    session.commit()


def _checkout(session: Session, user_id: int, offer_id: int) -> checkout.CheckoutResult:
    cart.add_item(session, user_id, offer_id, 1)
    return checkout.checkout(session, user_id, CARD, idempotency_key=uuid.uuid4().hex)


def _priced_world(session: Session, **kwargs):
    world = build(session, **kwargs)
    for ticket in world.tickets:  # the world's order has no items: each pack was paid the offer's price
        offer = session.get(Offer, ticket.offer_id)
        session.add(OrderItem(order_id=ticket.order_id, offer_id=ticket.offer_id, event_id=ticket.event_id,
                              offer_type=offer.offer_type, offer_title=offer.title, persons=ticket.persons,
                              quantity=1, unit_price_cents=offer.price_cents))
    order = session.get(Order, world.tickets[0].order_id)
    order.payment_reference = "ch_" + uuid.uuid4().hex[:24]  # the simulated charge the seller is refunded on
    session.add(order)
    session.commit()
    return world


def test_listed_ticket_is_bought_through_checkout_at_face_value(session: Session) -> None:
    world = _priced_world(session)
    _open_resale(session, world.event.id, fee_bps=500)
    duo = fresh(session, world.tickets[1].id)
    old_payload, old_qr = ensure_payload(session, duo), duo.qr_id
    session.commit()
    listing = resale.list_ticket(session, world.buyer.id, duo.id)
    assert (listing.price_cents, listing.fee_cents, listing.persons) == (5_000, 250, 2)  # 5 % fee
    assert resale.listed_persons(session, world.event.id) == 2
    sold_before = session.get(Event, world.event.id).seats_sold

    result = _checkout(session, world.recipient.id, duo.offer_id)  # sold out: only the listing can serve
    assert result.ticket_ids == (duo.id,) and result.total_cents == 5_000
    ticket = fresh(session, duo.id)
    assert ticket.user_id == world.recipient.id and ticket.order_id == result.order_id
    assert ticket.qr_id != old_qr and ticket.holder_name == "Grace Hopper"
    session.expire_all()
    assert session.get(Event, world.event.id).seats_sold == sold_before  # the seat was already counted
    stored = session.get(ResaleListing, listing.id)
    assert stored.status == ListingStatus.SOLD.value and stored.buyer_id == world.recipient.id
    assert stored.refund_reference and stored.refund_reference.startswith("re_")
    assert resale.figures(session) == {"listed": 0, "sold": 1, "withdrawn": 0, "resold_cents": 5_000,
                                       "fees_cents": 250}
    scan = validate_scan(session, old_payload, employee_id=world.employee.id, gate="A", now=world.now)
    assert scan.verdict == ScanVerdict.TRANSFERRED
    with pytest.raises(DomainError) as sold_out:  # refused from the cart already: nothing listed any more
        _checkout(session, world.stranger.id, duo.offer_id)
    assert sold_out.value.code == "sold_out"


def test_withdraw_limits_and_exclusivity_with_transfers(session: Session) -> None:
    world = _priced_world(session)
    family, duo = world.tickets
    with pytest.raises(ConflictError) as closed:
        resale.list_ticket(session, world.buyer.id, family.id)
    assert closed.value.code == "resale_closed"
    _open_resale(session, world.event.id, sold_out=False)
    with pytest.raises(NotFoundError):
        resale.list_ticket(session, world.stranger.id, family.id)
    listing = resale.list_ticket(session, world.buyer.id, family.id)
    with pytest.raises(ConflictError) as twice:
        resale.list_ticket(session, world.buyer.id, family.id)
    assert twice.value.code == "already_listed"
    with pytest.raises(ConflictError) as listed:
        transfers.start_transfer(session, world.buyer.id, family.id, world.recipient.email)
    assert listed.value.code == "ticket_listed"
    with pytest.raises(NotFoundError):
        resale.withdraw(session, world.stranger.id, listing.id)
    resale.withdraw(session, world.buyer.id, listing.id)
    with pytest.raises(ConflictError):
        resale.withdraw(session, world.buyer.id, listing.id)
    transfers.start_transfer(session, world.buyer.id, family.id, world.recipient.email)
    with pytest.raises(ConflictError) as pending:
        resale.list_ticket(session, world.buyer.id, family.id)
    assert pending.value.code == "transfer_pending"
    late = build(session, starts_in=timedelta(hours=1))
    _open_resale(session, late.event.id, sold_out=False)
    with pytest.raises(ConflictError) as cutoff:
        resale.list_ticket(session, late.buyer.id, late.tickets[0].id)
    assert cutoff.value.code == "cutoff_passed"
    assert duo.status == TicketStatus.VALID.value


def test_a_fresh_seat_is_taken_when_nothing_is_listed(session: Session) -> None:
    world = _priced_world(session)
    _open_resale(session, world.event.id, sold_out=False)
    result = _checkout(session, world.recipient.id, world.tickets[1].offer_id)
    assert world.tickets[1].id not in result.ticket_ids and len(result.ticket_ids) == 1


# --- PostgreSQL races ----------------------------------------------------------------------------------------


def test_one_listing_bought_by_many_at_once_sells_once(pg_engine: Engine) -> None:
    for _ in range(5):
        with Session(pg_engine, expire_on_commit=False) as session:
            world = _priced_world(session)
            _open_resale(session, world.event.id)
            duo_id, offer_id = world.tickets[1].id, world.tickets[1].offer_id
            resale.list_ticket(session, world.buyer.id, duo_id)
            from tests.factories import make_user
            buyers = [make_user(session).id for _ in range(4)]
            session.commit()

        def buy(own: Session, buyer: int, offer: int = offer_id) -> checkout.CheckoutResult:  # REST `items`, no cart
            return direct_order.checkout_items(own, buyer, [(offer, 1)], CARD, idempotency_key=uuid.uuid4().hex)

        results = race(pg_engine, [lambda own, b=b: buy(own, b) for b in buyers], catch=DomainError, connect_first=True)
        wins = [r for r in results if isinstance(r, checkout.CheckoutResult)]
        assert len(wins) == 1, results
        assert {r.code for r in results if isinstance(r, DomainError)} == {"sold_out"}
        with Session(pg_engine) as session:
            ticket = session.get(Ticket, duo_id)
            assert wins[0].ticket_ids == (duo_id,) and ticket.order_id == wins[0].order_id
            assert session.execute(select(func.count()).select_from(ResaleListing).where(
                ResaleListing.ticket_id == duo_id, ResaleListing.status == "sold")).scalar_one() == 1


def test_transfer_and_listing_of_one_ticket_at_once(pg_engine: Engine) -> None:
    for _ in range(5):
        with Session(pg_engine, expire_on_commit=False) as session:
            world = _priced_world(session)
            _open_resale(session, world.event.id, sold_out=False)
            ticket_id, buyer_id, email = world.tickets[0].id, world.buyer.id, world.recipient.email

        results = race(pg_engine, [
            lambda own, b=buyer_id, t=ticket_id, e=email: transfers.start_transfer(own, b, t, e),
            lambda own, b=buyer_id, t=ticket_id: resale.list_ticket(own, b, t)], catch=DomainError, connect_first=True)
        failures = [r for r in results if isinstance(r, DomainError)]
        assert len(failures) == 1 and failures[0].code in {"ticket_listed", "transfer_pending"}, results


def test_seller_scan_against_the_sale(pg_engine: Engine) -> None:
    outcomes = set()
    for _ in range(6):
        with Session(pg_engine, expire_on_commit=False) as session:
            world = _priced_world(session, starts_in=timedelta(hours=3))
            _open_resale(session, world.event.id)
            duo = fresh(session, world.tickets[1].id)
            payload, duo_id, offer_id = ensure_payload(session, duo), duo.id, duo.offer_id
            session.commit()
            resale.list_ticket(session, world.buyer.id, duo_id)
            buyer_id, employee_id = world.recipient.id, world.employee.id
            cart.add_item(session, buyer_id, offer_id, 1)
            scan_at = world.event.starts_at - timedelta(hours=2, minutes=30)

        results = race(pg_engine, [
            lambda own, b=buyer_id: checkout.checkout(own, b, CARD, idempotency_key=uuid.uuid4().hex),
            lambda own, p=payload, e=employee_id, at=scan_at: validate_scan(own, p, employee_id=e, gate="A", now=at),
        ], catch=DomainError, connect_first=True)
        sale, scan = results
        with Session(pg_engine) as session:
            ticket = session.get(Ticket, duo_id)
            if isinstance(sale, checkout.CheckoutResult):
                assert scan.verdict == ScanVerdict.TRANSFERRED and ticket.user_id == buyer_id
                assert ticket.status == TicketStatus.VALID.value
                outcomes.add("sale")
            else:
                assert sale.code == "sold_out" and scan.verdict == ScanVerdict.VALID
                assert ticket.status == TicketStatus.USED.value
                assert session.execute(select(ResaleListing.status).where(
                    ResaleListing.ticket_id == duo_id)).scalar_one() != "sold"
                outcomes.add("scan")
    print("winners over the rounds:", sorted(outcomes))


def test_listed_seats_show_in_the_shop_figures(session: Session) -> None:
    from jo_app.services.catalog import listing as catalog

    world = _priced_world(session)
    _open_resale(session, world.event.id)  # sold out
    event_id = world.event.id
    assert catalog.get_event(session, event_id).seats_left == 0
    resale.list_ticket(session, world.buyer.id, world.tickets[1].id)
    card = catalog.get_event(session, event_id)
    assert card.seats_left == 2 and not card.sold_out
    assert catalog.seats_left_by_event(session, [event_id]) == {event_id: 2}
    assert catalog.published_seats_left(session)[event_id] == 2  # the live stock pushed to the shop pages
    assert next(c for c in catalog.list_events(session) if c.id == event_id).seats_left == 2
    assert {o.seats_left for o in catalog.list_offers(session) if o.event_id == event_id} == {2}
    view = cart.add_item(session, world.recipient.id, world.tickets[1].offer_id, 1)
    assert [line.problem for line in cart_view.get_cart(session, world.recipient.id).lines] == [None]
    assert view.lines[0].seats_left == 2


def test_resale_on_a_sold_out_session_keeps_the_seat_counters_exact(session: Session) -> None:
    """Capacity all sold, one ticket listed: the buyer's cart line holds the listing (no seat held), paying moves
    exactly that ticket and refunds its seller; counters stay sold == capacity, held == 0. A second buyer cannot
    even put it in their cart (it is held), and nothing is held or sold for them."""
    world = _priced_world(session)
    _open_resale(session, world.event.id, fee_bps=500)
    duo = fresh(session, world.tickets[1].id)
    listing = resale.list_ticket(session, world.buyer.id, duo.id)
    view = cart.add_item(session, world.recipient.id, duo.offer_id, 1)
    assert view.can_checkout and not view.lines[0].hold_expired and view.lines[0].hold_expires_at is not None
    with pytest.raises(DomainError) as held:
        cart.add_item(session, world.stranger.id, duo.offer_id, 1)
    assert held.value.code == "sold_out"
    session.expire_all()
    event = session.get(Event, world.event.id)
    assert (event.seats_sold, event.seats_held) == (6, 0)  # a listed seat is never held

    tickets_before = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
    result = checkout.checkout(session, world.recipient.id, CARD, idempotency_key=uuid.uuid4().hex)
    assert result.ticket_ids == (duo.id,)
    with pytest.raises(DomainError) as lost:
        checkout.checkout(session, world.stranger.id, CARD, idempotency_key=uuid.uuid4().hex)
    assert lost.value.code == "empty_cart"
    session.expire_all()
    event = session.get(Event, world.event.id)
    assert (event.seats_sold, event.seats_held) == (event.capacity, 0)
    assert session.execute(select(func.count()).select_from(Ticket)).scalar_one() == tickets_before
    assert fresh(session, duo.id).user_id == world.recipient.id
    stored = session.get(ResaleListing, listing.id)
    assert stored.status == ListingStatus.SOLD.value and stored.refund_reference.startswith("re_")


def test_held_fresh_seats_go_back_when_resale_serves_the_line(session: Session) -> None:
    """Seats free: the line holds fresh seats; checkout then gives the listed ticket and returns the held seats."""
    world = _priced_world(session)
    _open_resale(session, world.event.id, sold_out=False)
    duo = fresh(session, world.tickets[1].id)
    resale.list_ticket(session, world.buyer.id, duo.id)
    session.expire_all()
    sold_before = session.get(Event, world.event.id).seats_sold
    cart.add_item(session, world.recipient.id, duo.offer_id, 1)
    session.expire_all()
    assert session.get(Event, world.event.id).seats_held == 2  # fresh seats were there: held as usual
    result = checkout.checkout(session, world.recipient.id, CARD, idempotency_key=uuid.uuid4().hex)
    assert result.ticket_ids == (duo.id,)
    session.expire_all()
    event = session.get(Event, world.event.id)
    assert (event.seats_sold, event.seats_held) == (sold_before, 0)
