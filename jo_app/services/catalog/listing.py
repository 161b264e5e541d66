"""Catalogue, read side: events (competition sessions) and their packs, as plain frozen dataclasses.

Admin writes live in `services.catalog.admin`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, exists, func, or_
from sqlmodel import Session, select

from jo_app.models import Event, Offer, OfferType
from jo_app.services.catalog.admin import parse_offer_type
from jo_app.services.errors import NotFoundError
from jo_app.services.tickets import resale
from jo_app.timeutil import utcnow


@dataclass(frozen=True)
class OfferCard:
    id: int
    event_id: int
    title: str
    description: str
    offer_type: str
    persons: int
    price_cents: int
    image: str | None
    is_published: bool
    seats_left: int
    sold_out: bool  # fewer seats left than this pack admits
    event_title: str
    event_sport: str
    event_venue: str
    event_starts_at: datetime
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class EventCard:
    id: int
    slug: str
    title: str
    sport: str
    description: str
    venue: str
    city: str
    starts_at: datetime
    capacity: int
    seats_sold: int
    seats_held: int
    seats_left: int  # neither sold nor held in a cart
    sold_out: bool  # no seat left at all
    image: str | None
    is_published: bool
    offers: tuple[OfferCard, ...]

    @property
    def min_price_cents(self) -> int | None:
        prices = [o.price_cents for o in self.offers]
        return min(prices) if prices else None


def _offer_card(offer: Offer, event: Event, resold: int = 0) -> OfferCard:
    left = event.capacity - event.seats_sold - event.seats_held + resold  # held seats are taken; + official resale
    return OfferCard(
        id=offer.id, event_id=event.id, title=offer.title, description=offer.description,
        offer_type=offer.offer_type, persons=offer.persons, price_cents=offer.price_cents, image=offer.image,
        is_published=offer.is_published, seats_left=left, sold_out=left < offer.persons,
        event_title=event.title, event_sport=event.sport, event_venue=event.venue, event_starts_at=event.starts_at,
        created_at=offer.created_at, updated_at=offer.updated_at,
    )


def _event_card(event: Event, offers: list[Offer], resold: int = 0) -> EventCard:
    left = event.capacity - event.seats_sold - event.seats_held + resold  # held seats are taken; + official resale
    return EventCard(
        id=event.id, slug=event.slug, title=event.title, sport=event.sport, description=event.description,
        venue=event.venue, city=event.city, starts_at=event.starts_at, capacity=event.capacity,
        seats_sold=event.seats_sold, seats_held=event.seats_held, seats_left=left,
        sold_out=left <= 0, image=event.image,
        is_published=event.is_published, offers=tuple(_offer_card(o, event, resold) for o in offers),
    )


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _day_start(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, time.min)


def _offers_for(session: Session, event_ids: list[int], *, offer_type: OfferType | None,
                include_unpublished: bool) -> dict[int, list[Offer]]:
    by_event: dict[int, list[Offer]] = defaultdict(list)
    if not event_ids:
        return by_event
    query = select(Offer).where(Offer.event_id.in_(event_ids))
    if not include_unpublished:
        query = query.where(Offer.is_published)
    if offer_type is not None:
        query = query.where(Offer.offer_type == offer_type.value)
    query = query.order_by(Offer.event_id, Offer.persons, Offer.price_cents, Offer.id)
    query = query.execution_options(populate_existing=True)
    for offer in session.exec(query):
        by_event[offer.event_id].append(offer)
    return by_event


def list_events(
    session: Session,
    *,
    offer_type: str | None = None,
    sport: str | None = None,
    venue: str | None = None,
    date_from: date | datetime | None = None,
    date_to: date | datetime | None = None,
    text: str | None = None,
    include_unpublished: bool = False,
    now: datetime | None = None,
) -> list[EventCard]:
    """Future events (published unless `include_unpublished`) with their offers, soonest first (2 queries).

    `offer_type` ("solo", "duo", "family"; French "familiale"/"famille" accepted) keeps events selling that
    pack and shows only those packs. `date_to` given as a date includes that whole day. `text` matches title,
    sport, venue and description, case-insensitively. With `include_unpublished` past events are listed too.
    """
    kind = parse_offer_type(offer_type) if offer_type else None
    query = select(Event)
    if not include_unpublished:
        query = query.where(Event.is_published, Event.starts_at > (now or utcnow()))
    if sport:
        query = query.where(func.lower(Event.sport) == sport.strip().lower())
    if venue:
        query = query.where(func.lower(Event.venue) == venue.strip().lower())
    if date_from is not None:
        query = query.where(Event.starts_at >= _day_start(date_from))
    if date_to is not None:
        if isinstance(date_to, datetime):
            query = query.where(Event.starts_at <= date_to)
        else:
            query = query.where(Event.starts_at < _day_start(date_to) + timedelta(days=1))
    if text and text.strip():
        pattern = _like(text.strip())
        query = query.where(or_(*(func.lower(col).like(pattern, escape="\\")
                                  for col in (Event.title, Event.sport, Event.venue, Event.description))))
    if kind is not None:
        condition = and_(Offer.event_id == Event.id, Offer.offer_type == kind.value)
        if not include_unpublished:
            condition = and_(condition, Offer.is_published)
        query = query.where(exists().where(condition))
    events = list(session.exec(query.order_by(Event.starts_at, Event.id).execution_options(populate_existing=True)))
    offers = _offers_for(session, [e.id for e in events], offer_type=kind, include_unpublished=include_unpublished)
    resold = resale.listed_by_event(session, [e.id for e in events if e.resale_enabled])
    return [_event_card(e, offers.get(e.id, []), resold.get(e.id, 0)) for e in events]


def get_event(session: Session, event_id: int, *, include_unpublished: bool = False) -> EventCard:
    """One event with its offers; unpublished events (and offers) are visible only with `include_unpublished`.

    Past published events are returned (for order history links); the shop checks `starts_at` itself.
    """
    event = session.get(Event, event_id, populate_existing=True)
    if event is None or (not event.is_published and not include_unpublished):
        raise NotFoundError("This event does not exist.", code="event_not_found")
    offers = _offers_for(session, [event.id], offer_type=None, include_unpublished=include_unpublished)
    resold = resale.listed_persons(session, event.id) if event.resale_enabled else 0
    return _event_card(event, offers.get(event.id, []), resold)


def list_offers(session: Session, offer_type: str | None = None, *, now: datetime | None = None) -> list[OfferCard]:
    """Published offers of published future events (spec `GET /offers/api/offers?type=`), soonest first."""
    query = (
        select(Offer, Event)
        .join(Event, Event.id == Offer.event_id)
        .where(Offer.is_published, Event.is_published, Event.starts_at > (now or utcnow()))
    )
    if offer_type:
        query = query.where(Offer.offer_type == parse_offer_type(offer_type).value)
    rows = session.exec(
        query.order_by(Event.starts_at, Event.id, Offer.persons, Offer.id).execution_options(populate_existing=True)
    ).all()
    resold = resale.listed_by_event(session, [event.id for _offer, event in rows if event.resale_enabled])
    return [_offer_card(offer, event, resold.get(event.id, 0)) for offer, event in rows]


def seats_left_by_event(session: Session, event_ids: list[int] | None = None) -> dict[int, int]:
    """Seats left (neither sold nor held, + official resale) per event id (one narrow query, for live
    availability updates)."""
    query = select(Event.id, Event.capacity - Event.seats_sold - Event.seats_held, Event.resale_enabled)
    if event_ids is not None:
        if not event_ids:
            return {}
        query = query.where(Event.id.in_(event_ids))
    rows = session.exec(query).all()
    resold = resale.listed_by_event(session, [event_id for event_id, _left, on in rows if on])
    return {event_id: left + resold.get(event_id, 0) for event_id, left, _on in rows}


def published_seats_left(session: Session) -> dict[int, int]:
    """Seats left (neither sold nor held, + official resale) per published event id (one narrow query: the live
    stock pushed to the shop pages)."""
    query = select(Event.id, Event.capacity - Event.seats_sold - Event.seats_held, Event.resale_enabled).where(
        Event.is_published)
    rows = session.exec(query).all()
    resold = resale.listed_by_event(session, [event_id for event_id, _left, on in rows if on])  # official resale
    return {event_id: left + resold.get(event_id, 0) for event_id, left, _on in rows}


def sports(session: Session, *, now: datetime | None = None) -> list[str]:
    """Distinct sports of published future events, sorted (for the shop's filter menu)."""
    rows = session.exec(select(Event.sport).where(Event.is_published, Event.starts_at > (now or utcnow())).distinct())
    return sorted(rows, key=str.casefold)


def venues(session: Session, *, now: datetime | None = None) -> list[str]:
    """Distinct venues of published future events, sorted (for the shop's filter menu)."""
    rows = session.exec(select(Event.venue).where(Event.is_published, Event.starts_at > (now or utcnow())).distinct())
    return sorted(rows, key=str.casefold)
