"""A resale ticket in a cart is held like seats (services.tickets.resale_holds): reserved for that cart until the hold
ends (nobody else can hold or buy it, its seller cannot withdraw it), paid without "sold out" within the hold,
released by expiry, removal, emptying or logout; the live seats left follow. PostgreSQL races: many buyers adding
the one listing at once, an expired hold re-taken while its former holder pays, a withdrawal against an add."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.models import Event, ListingStatus, ResaleListing
from jo_app.services.catalog import listing as catalog
from jo_app.services.errors import ConflictError, DomainError
from jo_app.services.orders import cart, cart_view, checkout
from jo_app.services.tickets import resale, resale_holds
from jo_app.timeutil import utcnow
from tests.factories import make_user
from tests.races import race
from tests.services.tickets.ownership_world import fresh
from tests.services.tickets.test_resale import CARD, _open_resale, _priced_world


def _listed_duo(session: Session, **kwargs):
    world = _priced_world(session, **kwargs)
    _open_resale(session, world.event.id)  # every seat sold: only the listing can serve a buyer
    duo = fresh(session, world.tickets[1].id)
    listing = resale.list_ticket(session, world.buyer.id, duo.id)
    return world, duo, listing


def _expire(session: Session) -> None:
    session.execute(update(ResaleListing).where(ResaleListing.held_cart_id.is_not(None))
                    .values(held_until=utcnow() - timedelta(seconds=1)))
    session.commit()


def _pay(session: Session, user_id: int) -> checkout.CheckoutResult:
    return checkout.checkout(session, user_id, CARD, idempotency_key=uuid.uuid4().hex)


def _seats_left(session: Session, event_id: int) -> int:
    session.expire_all()
    return catalog.published_seats_left(session)[event_id]


def test_a_listing_in_a_cart_is_reserved_for_that_cart(session: Session) -> None:
    world, duo, listing = _listed_duo(session)
    assert _seats_left(session, world.event.id) == 2  # the listed duo is on sale again
    view = cart.add_item(session, world.recipient.id, duo.offer_id, 1)
    line = view.lines[0]
    assert view.can_checkout and not line.hold_expired and line.hold_expires_at is not None
    assert line.hold_expires_at <= utcnow() + timedelta(minutes=get_settings().cart_hold_minutes)
    assert _seats_left(session, world.event.id) == 0  # held: no longer offered to anyone else
    with pytest.raises(DomainError) as other:  # another buyer cannot hold it
        cart.add_item(session, world.stranger.id, duo.offer_id, 1)
    assert other.value.code == "sold_out"
    with pytest.raises(ConflictError) as withdraw:  # nor its seller withdraw it while it is held
        resale.withdraw(session, world.buyer.id, listing.id)
    assert withdraw.value.code == "listing_held"
    resale.set_event_resale(session, world.stranger.id, world.event.id, enabled=False, fee_bps=0)
    result = _pay(session, world.recipient.id)  # within the hold: paid even though resale closed meanwhile
    assert result.ticket_ids == (duo.id,) and fresh(session, duo.id).user_id == world.recipient.id
    stored = session.get(ResaleListing, listing.id)
    assert stored.status == ListingStatus.SOLD.value and stored.held_cart_id is None
    session.expire_all()
    event = session.get(Event, world.event.id)
    assert (event.seats_sold, event.seats_held) == (event.capacity, 0)


def test_hold_ends_at_the_resale_cutoff(session: Session) -> None:
    cutoff = get_settings().holder_change_cutoff_hours
    world, duo, _listing = _listed_duo(session, starts_in=timedelta(hours=cutoff, minutes=5))
    view = cart.add_item(session, world.recipient.id, duo.offer_id, 1)
    assert view.lines[0].hold_expires_at == world.event.starts_at - timedelta(hours=cutoff)


def test_an_expired_hold_is_void_and_can_be_retaken(session: Session) -> None:
    world, duo, _listing = _listed_duo(session)
    cart.add_item(session, world.recipient.id, duo.offer_id, 1)
    _expire(session)
    view = cart_view.get_cart(session, world.recipient.id)
    assert view.lines[0].hold_expired and view.lines[0].hold_expires_at is None
    assert _seats_left(session, world.event.id) == 2  # on sale again at once
    assert resale_holds.sweep_expired(session) == {world.event.id: 2}  # the sweep pushes it to the shop pages
    assert resale_holds.sweep_expired(session) == {}
    cart.add_item(session, world.stranger.id, duo.offer_id, 1)  # re-taken by someone else
    with pytest.raises(DomainError) as lost:
        _pay(session, world.recipient.id)
    assert lost.value.code == "sold_out"
    assert _pay(session, world.stranger.id).ticket_ids == (duo.id,)


def test_an_expired_hold_can_still_be_paid_while_nobody_took_it(session: Session) -> None:
    world, duo, _listing = _listed_duo(session)
    cart.add_item(session, world.recipient.id, duo.offer_id, 1)
    _expire(session)
    assert _pay(session, world.recipient.id).ticket_ids == (duo.id,)


def test_the_seller_may_withdraw_once_the_hold_ended(session: Session) -> None:
    world, duo, listing = _listed_duo(session)
    cart.add_item(session, world.recipient.id, duo.offer_id, 1)
    _expire(session)
    resale.withdraw(session, world.buyer.id, listing.id)
    with pytest.raises(DomainError) as gone:
        _pay(session, world.recipient.id)
    assert gone.value.code == "sold_out"
    assert fresh(session, duo.id).user_id == world.buyer.id


@pytest.mark.parametrize("how", ["remove", "clear", "logout", "lower"])
def test_leaving_the_cart_releases_the_listing(session: Session, how: str) -> None:
    world, duo, listing = _listed_duo(session)
    cart.add_item(session, world.recipient.id, duo.offer_id, 1)
    assert _seats_left(session, world.event.id) == 0
    if how == "remove":
        cart.remove_item(session, world.recipient.id, duo.offer_id)
    elif how == "clear":
        cart.clear_cart(session, world.recipient.id)
    elif how == "logout":
        cart.release_holds(session, world.recipient.id)
    else:
        cart.set_quantity(session, world.recipient.id, duo.offer_id, 0)
    assert _seats_left(session, world.event.id) == 2
    assert session.get(ResaleListing, listing.id).held_cart_id is None
    cart.add_item(session, world.stranger.id, duo.offer_id, 1)
    assert _pay(session, world.stranger.id).ticket_ids == (duo.id,)


def test_fresh_seats_first_then_listings_for_the_rest(session: Session) -> None:
    world, duo, listing = _listed_duo(session)
    event = session.get(Event, world.event.id)
    event.capacity += 2  # one fresh duo left, one listed duo
    session.add(event)
    session.commit()
    view = cart.add_item(session, world.recipient.id, duo.offer_id, 2)
    assert view.can_checkout and not view.lines[0].hold_expired
    session.expire_all()
    assert session.get(Event, world.event.id).seats_held == 2  # the fresh duo held, the listed duo reserved
    assert session.get(ResaleListing, listing.id).held_cart_id is not None
    assert _seats_left(session, world.event.id) == 0
    result = _pay(session, world.recipient.id)
    assert duo.id in result.ticket_ids and len(result.ticket_ids) == 2
    session.expire_all()
    event = session.get(Event, world.event.id)
    assert (event.seats_sold, event.seats_held) == (event.capacity, 0)


# --- PostgreSQL races ----------------------------------------------------------------------------------------


def test_many_buyers_adding_one_listing_at_once_get_one_hold(pg_engine: Engine) -> None:
    for _ in range(5):
        with Session(pg_engine, expire_on_commit=False) as session:
            _world, duo, listing = _listed_duo(session)
            buyers = [make_user(session).id for _ in range(6)]
            session.commit()
            duo_id, offer_id = duo.id, duo.offer_id
        results = race(pg_engine, [lambda own, b=b, o=offer_id: cart.add_item(own, b, o, 1) for b in buyers],
                       catch=DomainError, connect_first=True)
        holders = [b for b, r in zip(buyers, results, strict=True) if isinstance(r, cart_view.CartView)]
        assert len(holders) == 1, results
        assert {r.code for r in results if isinstance(r, DomainError)} == {"sold_out"}
        with Session(pg_engine) as session:
            held_by = session.get(ResaleListing, listing.id).held_cart_id
            assert held_by == cart.lock_cart(session, holders[0], create=False)
            session.rollback()
            assert _pay(session, holders[0]).ticket_ids == (duo_id,)  # the holder pays without "sold out"


def test_an_expired_hold_retaken_while_its_former_holder_pays(pg_engine: Engine) -> None:
    """Never both: the former holder buys it and nobody else holds it, or one re-taker holds it and the former
    holder is refused "sold out" (nothing charged)."""
    outcomes = set()
    for _ in range(8):
        with Session(pg_engine, expire_on_commit=False) as session:
            world, duo, listing = _listed_duo(session)
            others = [make_user(session).id for _ in range(3)]
            session.commit()
            holder, seller, duo_id, offer_id = world.recipient.id, world.buyer.id, duo.id, duo.offer_id
            cart.add_item(session, holder, offer_id, 1)
            _expire(session)
        jobs = [lambda own, h=holder: _pay(own, h)]
        jobs += [lambda own, b=b, o=offer_id: cart.add_item(own, b, o, 1) for b in others]
        results = race(pg_engine, jobs, catch=DomainError, connect_first=True)
        retakers = [r for r in results[1:] if isinstance(r, cart_view.CartView)]
        with Session(pg_engine) as session:
            stored = session.get(ResaleListing, listing.id)
            if isinstance(results[0], checkout.CheckoutResult):
                assert not retakers and stored.status == ListingStatus.SOLD.value
                assert fresh(session, duo_id).user_id == holder
                outcomes.add("paid")
            else:
                assert results[0].code == "sold_out" and len(retakers) == 1, results
                assert stored.status == ListingStatus.LISTED.value and stored.held_until > utcnow()
                assert fresh(session, duo_id).user_id == seller
                outcomes.add("retaken")
    assert outcomes  # which one wins depends on timing; each round checks its outcome in full


def test_withdrawal_against_an_add(pg_engine: Engine) -> None:
    """Either the seller withdraws first (the add is refused, nothing held) or the add holds it first (the
    withdrawal is refused `listing_held` and the buyer pays)."""
    for _ in range(8):
        with Session(pg_engine, expire_on_commit=False) as session:
            world, duo, listing = _listed_duo(session)
            seller, buyer, duo_id, offer_id = world.buyer.id, world.recipient.id, duo.id, duo.offer_id
        results = race(pg_engine, [
            lambda own, s=seller, n=listing.id: resale.withdraw(own, s, n),
            lambda own, b=buyer, o=offer_id: cart.add_item(own, b, o, 1)], catch=DomainError, connect_first=True)
        with Session(pg_engine) as session:
            stored = session.get(ResaleListing, listing.id)
            if results[0] is None:
                assert isinstance(results[1], DomainError) and results[1].code == "sold_out", results
                assert stored.status == ListingStatus.WITHDRAWN.value and stored.held_cart_id is None
            else:
                assert results[0].code == "listing_held" and isinstance(results[1], cart_view.CartView), results
                assert _pay(session, buyer).ticket_ids == (duo_id,)


def test_the_cart_rows_carry_the_listing_holds(session: Session) -> None:
    """`cart_rows` reads each line's listing holds (no separate query): packs held and the hold's end."""
    world, duo, listing = _listed_duo(session)
    cart.add_item(session, world.recipient.id, duo.offer_id, 1)
    now = utcnow()
    rows = cart_view.cart_rows(session, world.recipient.id, now)
    held_until = session.get(ResaleListing, listing.id).held_until
    assert cart_view.listed_holds(rows) == {duo.offer_id: (1, held_until)} and held_until > now
    assert [(row.listed_packs, row.cart_listings) for row in rows] == [(1, 1)]
    _expire(session)  # an expired hold is void: no live packs, but the listing still points at the cart
    rows = cart_view.cart_rows(session, world.recipient.id)
    assert cart_view.listed_holds(rows) == {} and [(row.listed_packs, row.cart_listings) for row in rows] == [(0, 1)]
    assert session.get(ResaleListing, listing.id).held_cart_id is not None


def test_payment_leaves_no_listing_pointing_at_the_cart(session: Session) -> None:
    """A listing left pointing at the cart (an expired hold of another offer) is released by the payment."""
    world, duo, _listing = _listed_duo(session)
    solo = resale.list_ticket(session, world.buyer.id, fresh(session, world.tickets[0].id).id)
    cart.add_item(session, world.recipient.id, duo.offer_id, 1)
    cart_id = session.get(ResaleListing, _listing.id).held_cart_id
    session.execute(update(ResaleListing).where(ResaleListing.id == solo.id)
                    .values(held_cart_id=cart_id, held_until=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert _pay(session, world.recipient.id).ticket_ids == (duo.id,)
    session.expire_all()
    assert session.get(ResaleListing, solo.id).held_cart_id is None
