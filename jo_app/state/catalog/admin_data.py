"""Plain helpers of the admin catalogue state: input parsing and the rows it shows (blocking DB reads)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from jo_app.db import session_scope
from jo_app.services.catalog import images
from jo_app.services.catalog import listing as catalog
from jo_app.services.errors import DomainError
from jo_app.state.client_input import clean_text
from jo_app.state.shop_format import PARIS, image_src, labels, paris

UPLOAD_URL_PREFIX = "/_upload/"
EVENT_FIELDS = {"title", "sport", "venue", "city", "starts_at", "capacity", "description", "image"}
OFFER_FIELDS = {"title", "offer_type", "price_cents", "description", "image"}
EMPTY_EVENT = {"title": "", "sport": "", "venue": "", "city": "Paris", "starts_at": "", "capacity": "",
               "description": "", "is_published": False}  # a new event is a draft
EMPTY_OFFER = {"title": "", "offer_type": "solo", "price": "", "description": "", "is_published": True}


def parse_local_datetime(value: Any) -> datetime | None:
    """"YYYY-MM-DDTHH:MM" (Paris time, as a datetime-local input sends it) -> aware datetime, else None."""
    text = clean_text(value, 40)
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=PARIS)


def parse_price_cents(value: Any) -> int | None:
    """"45", "45.5", "45,50" euros -> cents (None when not a price with at most 2 decimals)."""
    text = clean_text(value, 20).replace(" ", "").replace("\u00a0", "").replace("€", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        return None
    return int(amount * 100)


def image_value(url: str, original: str) -> str | None:
    """The image to save: none, the unchanged original, or a file stored by `images.store_image`.

    Anything else (which only a tampered client could produce) keeps the original.
    """
    if not url:
        return None
    if url == original:
        return url
    name = url.removeprefix(UPLOAD_URL_PREFIX)
    if url.startswith(UPLOAD_URL_PREFIX) and images.is_stored_name(name):
        return url
    return original or None


def event_rows() -> list[dict[str, Any]]:
    with session_scope() as session:
        cards = catalog.list_events(session, include_unpublished=True)
    return [{"id": c.id, "title": c.title, "sport": c.sport, "venue": c.venue, "capacity": c.capacity,
             "seats_sold": c.seats_sold, "is_published": c.is_published, "offers": len(c.offers),
             "image": image_src(c.image), **labels("date", moment=c.starts_at)} for c in cards]


def event_detail(event_id: int) -> dict[str, Any] | None:
    with session_scope() as session:
        try:
            card = catalog.get_event(session, event_id, include_unpublished=True)
        except DomainError:
            return None
    offers = [{"id": o.id, "title": o.title, "offer_type": o.offer_type, "persons": o.persons,
               "price": f"{o.price_cents // 100}.{o.price_cents % 100:02d}", "description": o.description,
               "is_published": o.is_published, "image": o.image or "", **labels("price", cents=o.price_cents)}
              for o in card.offers]
    form = {"title": card.title, "sport": card.sport, "venue": card.venue, "city": card.city,
            "starts_at": paris(card.starts_at).strftime("%Y-%m-%dT%H:%M"), "capacity": str(card.capacity),
            "description": card.description, "is_published": card.is_published}
    return {"id": card.id, "title": card.title, "image": card.image or "", "form": form, "offers": offers,
            "seats_sold": card.seats_sold}


def run(action, *args) -> Any:
    with session_scope() as session:
        return action(session, *args)
