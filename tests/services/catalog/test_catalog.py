"""Catalogue: shop listing with filters (2 queries), event/offer reads, admin writes with validation and audit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func
from sqlmodel import Session, select

from jo_app.models import AuditLog, CartItem, Event, Offer, OrderItem
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog import listing as catalog
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.services.errors import ConflictError, NotFoundError, ValidationError
from jo_app.services.orders import cart
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_order, make_user

NOW = utcnow()


@contextmanager
def count_queries(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []

    def listener(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    engine = session.get_bind()
    sa_event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa_event.remove(engine, "before_cursor_execute", listener)


@pytest.fixture
def shop(session: Session) -> dict:
    """Three future events (one unpublished), one past event, with packs."""
    athletics = make_event(session, title="Athletics - 100m Final", sport="Athletics", venue="Stade de France",
                           starts_at=NOW + timedelta(days=3), capacity=100, description="Sprint final")
    swim = make_event(session, title="Swimming - 4x100m Relay", sport="Swimming", venue="Paris La Defense Arena",
                      starts_at=NOW + timedelta(days=1), capacity=3, description="Relay at night")
    hidden = make_event(session, title="Fencing", sport="Fencing", venue="Grand Palais",
                        starts_at=NOW + timedelta(days=2), capacity=50, is_published=False)
    past = make_event(session, title="Past Judo", sport="Judo", venue="Champ-de-Mars Arena",
                      starts_at=NOW - timedelta(hours=1), capacity=50)
    offers = {
        "ath_solo": make_offer(session, athletics, offer_type="solo", price_cents=5000),
        "ath_family": make_offer(session, athletics, offer_type="family", price_cents=16000),
        "ath_duo_hidden": make_offer(session, athletics, offer_type="duo", price_cents=9000, is_published=False),
        "swim_solo": make_offer(session, swim, offer_type="solo", price_cents=7000),
        "swim_family": make_offer(session, swim, offer_type="family", price_cents=20000),
        "hidden_solo": make_offer(session, hidden, offer_type="solo"),
        "past_solo": make_offer(session, past, offer_type="solo"),
    }
    admin = make_user(session, role="admin")
    session.commit()
    return {"athletics": athletics, "swim": swim, "hidden": hidden, "past": past, "admin": admin, **offers}


def ids(cards) -> list[int]:
    return [c.id for c in cards]


def test_list_events_published_future_soonest_first_in_two_queries(session: Session, shop: dict) -> None:
    session.expire_all()
    with count_queries(session) as statements:
        cards = catalog.list_events(session)
    assert len(statements) == 2
    assert ids(cards) == [shop["swim"].id, shop["athletics"].id]
    ath = cards[1]
    assert [o.offer_type for o in ath.offers] == ["solo", "family"]  # unpublished duo hidden
    assert ath.seats_left == 100 and not ath.sold_out and ath.min_price_cents == 5000
    swim = cards[0]
    family = next(o for o in swim.offers if o.offer_type == "family")
    solo = next(o for o in swim.offers if o.offer_type == "solo")
    assert family.sold_out and not solo.sold_out  # 3 seats: a family pack (4) no longer fits
    assert family.persons == 4 and family.event_title == swim.title and family.event_venue == swim.venue


def test_list_events_filters(session: Session, shop: dict) -> None:
    assert ids(catalog.list_events(session, sport="swimming")) == [shop["swim"].id]
    assert ids(catalog.list_events(session, venue="stade de france")) == [shop["athletics"].id]
    assert ids(catalog.list_events(session, text="SPRINT")) == [shop["athletics"].id]
    assert ids(catalog.list_events(session, text="defense")) == [shop["swim"].id]
    assert ids(catalog.list_events(session, text="100%")) == []  # LIKE wildcards are escaped
    assert ids(catalog.list_events(session, text="4x100m")) == [shop["swim"].id]
    tomorrow = (NOW + timedelta(days=1)).date()
    assert ids(catalog.list_events(session, date_from=tomorrow, date_to=tomorrow)) == [shop["swim"].id]
    assert ids(catalog.list_events(session, date_from=NOW + timedelta(days=2))) == [shop["athletics"].id]
    assert ids(catalog.list_events(session, date_to=NOW + timedelta(days=2))) == [shop["swim"].id]


@pytest.mark.parametrize("kind", ["family", "familiale", "Famille", "FAMILY"])
def test_offer_type_filter_accepts_french_names(session: Session, shop: dict, kind: str) -> None:
    cards = catalog.list_events(session, offer_type=kind)
    assert ids(cards) == [shop["swim"].id, shop["athletics"].id]
    assert all(o.offer_type == "family" for c in cards for o in c.offers)


def test_offer_type_filter_ignores_unpublished_offers_and_rejects_unknown(session: Session, shop: dict) -> None:
    assert catalog.list_events(session, offer_type="duo") == []
    assert ids(catalog.list_events(session, offer_type="duo", include_unpublished=True)) == [shop["athletics"].id]
    with pytest.raises(ValidationError) as err:
        catalog.list_events(session, offer_type="vip")
    assert err.value.field == "offer_type"


def test_include_unpublished_lists_everything(session: Session, shop: dict) -> None:
    cards = catalog.list_events(session, include_unpublished=True)
    assert ids(cards) == [shop["past"].id, shop["swim"].id, shop["hidden"].id, shop["athletics"].id]
    ath = next(c for c in cards if c.id == shop["athletics"].id)
    assert len(ath.offers) == 3


def test_sold_out_event(session: Session, shop: dict) -> None:
    session.get(Event, shop["swim"].id).seats_sold = 3
    session.commit()
    card = catalog.get_event(session, shop["swim"].id)
    assert card.sold_out and card.seats_left == 0
    assert all(o.sold_out for o in card.offers)


def test_get_event(session: Session, shop: dict) -> None:
    card = catalog.get_event(session, shop["athletics"].id)
    assert card.title == "Athletics - 100m Final" and len(card.offers) == 2
    with pytest.raises(NotFoundError):
        catalog.get_event(session, shop["hidden"].id)
    assert catalog.get_event(session, shop["hidden"].id, include_unpublished=True).id == shop["hidden"].id
    with pytest.raises(NotFoundError):
        catalog.get_event(session, 999_999)


def test_list_offers_for_the_spec_endpoint(session: Session, shop: dict) -> None:
    offers = catalog.list_offers(session)
    assert ids(offers) == [shop["swim_solo"].id, shop["swim_family"].id, shop["ath_solo"].id, shop["ath_family"].id]
    assert ids(catalog.list_offers(session, "familiale")) == [shop["swim_family"].id, shop["ath_family"].id]
    assert catalog.list_offers(session, "duo") == []


def test_seats_left_sports_venues(session: Session, shop: dict) -> None:
    session.get(Event, shop["athletics"].id).seats_sold = 40
    session.commit()
    left = catalog.seats_left_by_event(session)
    assert left[shop["athletics"].id] == 60 and left[shop["swim"].id] == 3
    assert catalog.seats_left_by_event(session, [shop["swim"].id]) == {shop["swim"].id: 3}
    assert catalog.seats_left_by_event(session, []) == {}
    assert catalog.sports(session) == ["Athletics", "Swimming"]
    assert catalog.venues(session) == ["Paris La Defense Arena", "Stade de France"]


# --- admin writes ---------------------------------------------------------------------------------------------

def event_input(**overrides) -> EventInput:
    base = EventInput(title="Surfing - Final", sport="Surfing", venue="Teahupo'o", starts_at=NOW + timedelta(days=9),
                      capacity=500, description="Waves", city="Tahiti")
    return replace(base, **overrides)


def actions(session: Session) -> list[str]:
    return list(session.exec(select(AuditLog.action).order_by(AuditLog.id)))


def test_create_update_publish_event_with_audit(session: Session, shop: dict) -> None:
    admin_id = shop["admin"].id
    event_id = catalog_admin.create_event(session, admin_id, event_input())
    created = session.get(Event, event_id)
    assert created.slug.startswith("surfing-final-") and created.capacity == 500 and created.city == "Tahiti"
    second = catalog_admin.create_event(session, admin_id, event_input())
    assert session.get(Event, second).slug != created.slug  # same title and time: still a unique slug
    catalog_admin.update_event(session, admin_id, event_id, event_input(title="  Surfing - Grand Final ", capacity=800))
    session.expire_all()
    updated = session.get(Event, event_id)
    assert updated.title == "Surfing - Grand Final" and updated.capacity == 800
    catalog_admin.set_event_published(session, admin_id, event_id, False)
    assert event_id not in ids(catalog.list_events(session))
    catalog_admin.set_event_published(session, admin_id, event_id, True)
    assert actions(session) == ["event.created", "event.created", "event.updated", "event.unpublished",
                                "event.published"]
    entry = session.exec(select(AuditLog).where(AuditLog.action == "event.updated")).one()
    assert entry.actor_id == admin_id and entry.target_id == str(event_id) and "title" in entry.details


@pytest.mark.parametrize(("overrides", "field"), [
    ({"title": "  "}, "title"), ({"title": "x" * 151}, "title"), ({"sport": ""}, "sport"), ({"venue": ""}, "venue"),
    ({"capacity": -1}, "capacity"), ({"capacity": 200_001}, "capacity"), ({"capacity": "10"}, "capacity"),
    ({"capacity": True}, "capacity"), ({"starts_at": None}, "starts_at"), ({"description": "d" * 5001}, "description"),
])
def test_event_validation(session: Session, overrides: dict, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        catalog_admin.create_event(session, None, event_input(**overrides))
    assert err.value.field == field
    assert session.exec(select(func.count()).select_from(Event)).one() == 0


def test_capacity_cannot_go_below_seats_sold(session: Session, shop: dict) -> None:
    event_id = shop["athletics"].id
    session.get(Event, event_id).seats_sold = 40
    session.commit()
    with pytest.raises(ValidationError) as err:
        catalog_admin.update_event(session, None, event_id, event_input(capacity=39))
    assert err.value.field == "capacity" and "40" in err.value.message
    session.expire_all()
    assert session.get(Event, event_id).capacity == 100 and session.get(Event, event_id).title.startswith("Athletics")
    catalog_admin.update_event(session, None, event_id, event_input(capacity=40))
    session.expire_all()
    assert session.get(Event, event_id).capacity == 40
    with pytest.raises(NotFoundError):
        catalog_admin.update_event(session, None, 999_999, event_input())


def test_offers_admin(session: Session, shop: dict) -> None:
    event_id = shop["athletics"].id
    offer_id = catalog_admin.create_offer(
        session, shop["admin"].id, OfferInput(event_id, "Familiale", "familiale", 15000)
    )
    offer = session.get(Offer, offer_id)
    assert offer.offer_type == "family" and offer.persons == 4
    catalog_admin.update_offer(session, None, offer_id, OfferInput(event_id, "Duo pack", "duo", 9000))
    session.refresh(offer)
    assert (offer.offer_type, offer.persons, offer.price_cents) == ("duo", 2, 9000)
    catalog_admin.set_offer_published(session, None, offer_id, False)
    assert offer_id not in ids(catalog.list_offers(session))
    for data, field in [
        (OfferInput(event_id, "X", "vip", 100), "offer_type"), (OfferInput(event_id, "X", "solo", -1), "price_cents"),
        (OfferInput(event_id, "X", "solo", 10_000_01), "price_cents"), (OfferInput(event_id, "", "solo", 1), "title"),
    ]:
        with pytest.raises(ValidationError) as err:
            catalog_admin.create_offer(session, None, data)
        assert err.value.field == field
    with pytest.raises(NotFoundError):
        catalog_admin.create_offer(session, None, OfferInput(999_999, "X", "solo", 100))
    assert actions(session) == ["offer.created", "offer.updated", "offer.unpublished"]


def test_delete_refused_once_sold_and_allowed_before(session: Session, shop: dict) -> None:
    buyer = make_user(session)
    order = make_order(session, buyer)
    sold = shop["ath_solo"]
    session.add(OrderItem(order_id=order.id, offer_id=sold.id, event_id=sold.event_id, offer_type="solo",
                          offer_title="Solo", persons=1, quantity=1, unit_price_cents=5000))
    session.commit()
    cart.add_item(session, buyer.id, shop["ath_family"].id)
    cart.add_item(session, buyer.id, shop["swim_solo"].id)
    with pytest.raises(ConflictError) as err:
        catalog_admin.delete_event(session, None, shop["athletics"].id)
    assert err.value.code == "event_has_orders"
    with pytest.raises(ConflictError):
        catalog_admin.delete_offer(session, None, sold.id)
    with pytest.raises(ConflictError):  # sold: its type is history now
        catalog_admin.update_offer(session, None, sold.id, OfferInput(sold.event_id, "Duo", "duo", 100))
    catalog_admin.delete_offer(session, None, shop["ath_family"].id)  # never sold: its cart lines go with it
    assert session.get(Offer, shop["ath_family"].id) is None
    catalog_admin.delete_event(session, None, shop["swim"].id)
    assert session.get(Event, shop["swim"].id) is None
    assert session.exec(select(func.count()).select_from(Offer).where(Offer.event_id == shop["swim"].id)).one() == 0
    assert session.exec(select(func.count()).select_from(CartItem)).one() == 0
    assert actions(session)[-2:] == ["offer.deleted", "event.deleted"]



def test_reads_are_fresh_in_a_long_lived_session(session: Session, shop: dict) -> None:
    swim_id = shop["swim"].id
    assert catalog.get_event(session, swim_id).seats_left == 3  # the row now sits in this session's identity map
    with Session(session.get_bind()) as other:  # a sale committed elsewhere
        other.get(Event, swim_id).seats_sold = 2
        other.commit()
    assert catalog.get_event(session, swim_id).seats_left == 1
    assert next(c for c in catalog.list_events(session) if c.id == swim_id).seats_left == 1
    assert next(o for o in catalog.list_offers(session) if o.event_id == swim_id).seats_left == 1
