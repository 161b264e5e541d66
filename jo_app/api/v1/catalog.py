"""Public catalogue: events (competition sessions) and offers (solo / duo / family packs). No authentication."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query
from sqlmodel import Session, select

from jo_app.api.deps import get_db
from jo_app.api.errors import ApiError, responses
from jo_app.api.v1 import convert
from jo_app.api.v1.schemas import EventOut, IsoDate, OfferOut, SafeStr
from jo_app.models import Offer
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog import listing as catalog
from jo_app.services.errors import NotFoundError

router = APIRouter(tags=["catalogue"])
OfferTypeQuery = Literal["solo", "duo", "family", "familiale", "famille"]


@router.get("/events", response_model=list[EventOut], responses=responses(422))
def list_events(
    db: Session = Depends(get_db),
    type: OfferTypeQuery | None = Query(default=None, description="Only events selling this pack type."),
    sport: SafeStr | None = Query(default=None, max_length=60),
    venue: SafeStr | None = Query(default=None, max_length=120),
    date_from: IsoDate | None = Query(default=None, description="First day (inclusive), YYYY-MM-DD."),
    date_to: IsoDate | None = Query(default=None, description="Last day (inclusive), YYYY-MM-DD."),
    q: SafeStr | None = Query(default=None, max_length=100, description="Text in title, sport, venue, description."),
) -> list[EventOut]:
    """Published future events with their published offers, soonest first."""
    if date_from and date_to and date_to < date_from:
        raise ApiError(422, "invalid_request", "date_to is before date_from.")
    cards = catalog.list_events(db, offer_type=type, sport=sport, venue=venue, date_from=date_from,
                                date_to=date_to, text=q)
    return [convert.event(c) for c in cards]


@router.get("/events/{event_id}", response_model=EventOut, responses=responses(404, 422))
def get_event(event_id: int = Path(ge=1, le=2**31 - 1), db: Session = Depends(get_db)) -> EventOut:
    """One published event with its published offers."""
    return convert.event(catalog.get_event(db, event_id))


@router.get("/offers", response_model=list[OfferOut], responses=responses(404, 422))
def list_offers(
    db: Session = Depends(get_db),
    type: OfferTypeQuery | None = Query(default=None),
    event_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
) -> list[OfferOut]:
    """Published offers of published future events (optionally of one event and/or one pack type)."""
    if event_id is not None:
        kind = catalog_admin.parse_offer_type(type).value if type else None
        return [convert.offer(o) for o in catalog.get_event(db, event_id).offers
                if kind is None or o.offer_type == kind]
    return [convert.offer(o) for o in catalog.list_offers(db, type)]


@router.get("/offers/{offer_id}", response_model=OfferOut, responses=responses(404, 422))
def get_offer(offer_id: int = Path(ge=1, le=2**31 - 1), db: Session = Depends(get_db)) -> OfferOut:
    """One published offer of a published event."""
    event_id = db.exec(select(Offer.event_id).where(Offer.id == offer_id)).first()
    try:
        cards = catalog.get_event(db, event_id).offers if event_id is not None else ()
    except NotFoundError:
        cards = ()
    for card in cards:
        if card.id == offer_id:
            return convert.offer(card)
    raise NotFoundError("This offer does not exist.", code="offer_not_found")
