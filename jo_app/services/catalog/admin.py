"""Catalogue, admin side: create, edit, publish and delete events and offers (the caller checks the admin role).

Every write is validated at the boundary (errors name the field), audited, and committed by the function.
Capacity edits use one conditional UPDATE so a concurrent sale can never leave `seats_sold > capacity`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, exists, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from jo_app.models import CartItem, Event, Offer, OfferType, OrderItem, Ticket
from jo_app.services import audit, events
from jo_app.services.errors import ConflictError, NotFoundError, ValidationError
from jo_app.services.orders import holds
from jo_app.timeutil import utcnow

MAX_CAPACITY = 200_000
MAX_PRICE_CENTS = 10_000_00
_OFFER_TYPE_ALIASES = {
    "solo": OfferType.SOLO, "duo": OfferType.DUO, "family": OfferType.FAMILY,
    "familiale": OfferType.FAMILY, "famille": OfferType.FAMILY,
}


@dataclass(frozen=True)
class EventInput:
    title: str
    sport: str
    venue: str
    starts_at: datetime
    capacity: int
    description: str = ""
    city: str = "Paris"
    image: str | None = None
    is_published: bool = True


@dataclass(frozen=True)
class OfferInput:
    event_id: int
    title: str
    offer_type: str
    price_cents: int
    description: str = ""
    image: str | None = None
    is_published: bool = True


def parse_offer_type(value: str | OfferType) -> OfferType:
    """"solo" / "duo" / "family" (also French "familiale", "famille"), any case."""
    found = _OFFER_TYPE_ALIASES.get(str(value).strip().lower())
    if found is None:
        raise ValidationError("The offer type must be solo, duo or family.", code="invalid_offer_type",
                              field="offer_type")
    return found


def _text(value: object, field: str, label: str, max_len: int, *, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError(f"{label} is required.", code="required", field=field)
    if len(text) > max_len:
        raise ValidationError(f"{label} must be at most {max_len} characters.", code="too_long", field=field)
    return text


def _int(value: object, field: str, label: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{label} must be a whole number.", code="invalid_number", field=field)
    if not low <= value <= high:
        raise ValidationError(f"{label} must be between {low} and {high}.", code="out_of_range", field=field)
    return value


def _event_values(data: EventInput) -> dict:
    starts_at = data.starts_at
    if not isinstance(starts_at, datetime):
        raise ValidationError("The start date and time are required.", code="required", field="starts_at")
    if starts_at.tzinfo is not None:
        starts_at = starts_at.astimezone(UTC).replace(tzinfo=None)
    image = _text(data.image, "image", "Image", 255, required=False) or None
    return {
        "title": _text(data.title, "title", "Title", 150),
        "sport": _text(data.sport, "sport", "Sport", 60),
        "venue": _text(data.venue, "venue", "Venue", 120),
        "city": _text(data.city, "city", "City", 60),
        "description": _text(data.description, "description", "Description", 5000, required=False),
        "starts_at": starts_at,
        "capacity": _int(data.capacity, "capacity", "Capacity", 0, MAX_CAPACITY),
        "image": image,
        "is_published": bool(data.is_published),
    }


def _offer_values(data: OfferInput) -> dict:
    kind = parse_offer_type(data.offer_type)
    return {
        "event_id": data.event_id,
        "title": _text(data.title, "title", "Title", 100),
        "description": _text(data.description, "description", "Description", 5000, required=False),
        "offer_type": kind.value,
        "persons": kind.persons,
        "price_cents": _int(data.price_cents, "price_cents", "Price", 0, MAX_PRICE_CENTS),
        "image": _text(data.image, "image", "Image", 255, required=False) or None,
        "is_published": bool(data.is_published),
    }


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "event"


def _unique_slug(session: Session, title: str, starts_at: datetime) -> str:
    base = f"{slugify(title)[:90]}-{starts_at:%Y%m%d-%H%M}"
    slug, n = base, 1
    while session.exec(select(Event.id).where(Event.slug == slug)).first() is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _event_or_404(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id, populate_existing=True)
    if event is None:
        raise NotFoundError("This event does not exist.", code="event_not_found")
    return event


def _offer_or_404(session: Session, offer_id: int) -> Offer:
    offer = session.get(Offer, offer_id, populate_existing=True)
    if offer is None:
        raise NotFoundError("This offer does not exist.", code="offer_not_found")
    return offer


def _has_orders(session: Session, *, event_id: int | None = None, offer_id: int | None = None) -> bool:
    column, value = (OrderItem.event_id, event_id) if event_id is not None else (OrderItem.offer_id, offer_id)
    return bool(session.exec(select(exists().where(column == value))).one())


def _commit(session: Session) -> None:
    events.announce(session, events.CatalogChanged())  # delivered only if the commit goes through
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError("The change conflicts with existing data; reload and try again.") from None


def create_event(session: Session, actor_id: int | None, data: EventInput) -> int:
    """Create an event; returns its id (commits)."""
    values = _event_values(data)
    event = Event(slug=_unique_slug(session, values["title"], values["starts_at"]), **values)
    session.add(event)
    session.flush()
    audit.record(session, "event.created", actor_id=actor_id, target_type="event", target_id=event.id,
                 title=event.title, capacity=event.capacity, starts_at=event.starts_at)
    _commit(session)
    return event.id


def update_event(session: Session, actor_id: int | None, event_id: int, data: EventInput) -> None:
    """Replace an event's editable fields (commits). Capacity may not go below the seats already sold or held:
    the check and the write are one conditional UPDATE, so it holds against concurrent checkouts and holds."""
    values = _event_values(data)
    before = _event_or_404(session, event_id)
    changes = {k: v for k, v in values.items() if getattr(before, k) != v}
    result = session.exec(
        update(Event)
        .where(Event.id == event_id, Event.seats_sold + Event.seats_held <= values["capacity"])
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        event = _event_or_404(session, event_id)
        sold = event.seats_sold + event.seats_held
        raise ValidationError(f"Capacity cannot be lower than the {sold} seats already sold or held.",
                              code="capacity_below_sold", field="capacity")
    audit.record(session, "event.updated", actor_id=actor_id, target_type="event", target_id=event_id,
                 changes=sorted(changes), capacity=values["capacity"])
    _commit(session)
    session.expire_all()


def set_event_published(session: Session, actor_id: int | None, event_id: int, published: bool) -> None:
    """Publish or unpublish an event (commits). Unpublished events can no longer be bought."""
    event = _event_or_404(session, event_id)
    event.is_published = bool(published)
    event.updated_at = utcnow()
    audit.record(session, "event.published" if published else "event.unpublished", actor_id=actor_id,
                 target_type="event", target_id=event_id)
    _commit(session)


def delete_event(session: Session, actor_id: int | None, event_id: int) -> None:
    """Delete an event, its offers and cart lines (commits); refused once anything was sold for it."""
    event = _event_or_404(session, event_id)
    if _has_orders(session, event_id=event_id) or session.exec(
            select(exists().where(Ticket.event_id == event_id))).one():
        raise ConflictError("This event has orders: unpublish it instead.", code="event_has_orders")
    offer_ids = select(Offer.id).where(Offer.event_id == event_id)
    holds.drop_event_holds(session, event_id)
    session.exec(delete(CartItem).where(CartItem.offer_id.in_(offer_ids)))
    session.exec(delete(Offer).where(Offer.event_id == event_id))
    title = event.title
    session.delete(event)
    audit.record(session, "event.deleted", actor_id=actor_id, target_type="event", target_id=event_id, title=title)
    events.announce(session, events.CatalogChanged())
    try:
        session.commit()
    except IntegrityError:  # a sale slipped in between: the foreign keys refuse the delete
        session.rollback()
        raise ConflictError("This event has orders: unpublish it instead.", code="event_has_orders") from None


def create_offer(session: Session, actor_id: int | None, data: OfferInput) -> int:
    """Create a pack for an event; persons follow the type (solo 1, duo 2, family 4). Returns its id (commits)."""
    values = _offer_values(data)
    _event_or_404(session, values["event_id"])
    offer = Offer(**values)
    session.add(offer)
    session.flush()
    audit.record(session, "offer.created", actor_id=actor_id, target_type="offer", target_id=offer.id,
                 event_id=offer.event_id, offer_type=offer.offer_type, price_cents=offer.price_cents)
    _commit(session)
    return offer.id


def update_offer(session: Session, actor_id: int | None, offer_id: int, data: OfferInput) -> None:
    """Replace an offer's fields (commits). Once sold, an offer keeps its event and type (history stays true)."""
    values = _offer_values(data)
    offer = _offer_or_404(session, offer_id)
    _event_or_404(session, values["event_id"])
    moved = values["event_id"] != offer.event_id or values["offer_type"] != offer.offer_type
    if moved and _has_orders(session, offer_id=offer_id):
        raise ConflictError("This offer has been sold: its event and type can no longer change.",
                            code="offer_has_orders")
    changes = sorted(k for k, v in values.items() if getattr(offer, k) != v)
    for key, value in values.items():
        setattr(offer, key, value)
    offer.updated_at = utcnow()
    audit.record(session, "offer.updated", actor_id=actor_id, target_type="offer", target_id=offer_id,
                 changes=changes, price_cents=offer.price_cents)
    _commit(session)


def set_offer_published(session: Session, actor_id: int | None, offer_id: int, published: bool) -> None:
    """Publish or unpublish an offer (commits)."""
    offer = _offer_or_404(session, offer_id)
    offer.is_published = bool(published)
    offer.updated_at = utcnow()
    audit.record(session, "offer.published" if published else "offer.unpublished", actor_id=actor_id,
                 target_type="offer", target_id=offer_id)
    _commit(session)


def delete_offer(session: Session, actor_id: int | None, offer_id: int) -> None:
    """Delete an offer and its cart lines (commits); refused once it was sold (unpublish it instead)."""
    offer = _offer_or_404(session, offer_id)
    if _has_orders(session, offer_id=offer_id):
        raise ConflictError("This offer has orders: unpublish it instead.", code="offer_has_orders")
    holds.release_offer_holds(session, offer_id)
    session.exec(delete(CartItem).where(CartItem.offer_id == offer_id))
    event_id = offer.event_id
    session.delete(offer)
    audit.record(session, "offer.deleted", actor_id=actor_id, target_type="offer", target_id=offer_id,
                 event_id=event_id)
    events.announce(session, events.CatalogChanged())
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError("This offer has orders: unpublish it instead.", code="offer_has_orders") from None
