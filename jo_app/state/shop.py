"""Catalogue (filters + results) and session page states. Public data only; filters are sanitised server-side."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import reflex as rx

from jo_app.db import session_scope
from jo_app.services import catalog
from jo_app.services.catalog import EventCard
from jo_app.services.errors import DomainError
from jo_app.state.auth import AuthState
from jo_app.state.cart import CartState
from jo_app.state.shop_format import OFFER_TYPES, as_int, clean_text, image_src, labels
from jo_app.timeutil import utcnow


def _offer_row(offer) -> dict[str, Any]:
    return {
        "id": offer.id, "title": offer.title, "description": offer.description, "offer_type": offer.offer_type,
        "persons": offer.persons, "price_cents": offer.price_cents, **labels("price", cents=offer.price_cents),
    }


def event_row(card: EventCard) -> dict[str, Any]:
    """A plain dict for the UI (ids as both int and str: the live stock is keyed by str)."""
    low = card.min_price_cents
    return {
        "id": card.id, "key": str(card.id), "slug": card.slug, "title": card.title, "sport": card.sport,
        "description": card.description, "venue": card.venue, "city": card.city,
        "image": image_src(card.image), "seats_left": card.seats_left, "capacity": card.capacity,
        "on_sale": card.starts_at > utcnow(),
        **labels("date", moment=card.starts_at),
        **labels("min_price", cents=low if low is not None else 0),
        "offers": [_offer_row(o) for o in card.offers],
    }


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _search(filters: dict[str, str]) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    with session_scope() as session:
        cards = catalog.list_events(
            session, offer_type=filters["offer_type"] or None, sport=filters["sport"] or None,
            venue=filters["venue"] or None, date_from=_parse_date(filters["date_from"]),
            date_to=_parse_date(filters["date_to"]), text=filters["text"] or None,
        )
        return [event_row(c) for c in cards], catalog.sports(session), catalog.venues(session)


class ShopState(AuthState):
    """The catalogue page: filters, results, menus."""

    offer_type: str = ""
    sport: str = ""
    venue: str = ""
    date_from: str = ""
    date_to: str = ""
    search_text: str = ""
    events: list[dict[str, Any]] = []
    sports: list[str] = []
    venues: list[str] = []
    loaded: bool = False

    def _filters(self) -> dict[str, str]:
        return {"offer_type": self.offer_type, "sport": self.sport, "venue": self.venue,
                "date_from": self.date_from, "date_to": self.date_to, "text": self.search_text}

    async def _refresh(self) -> None:
        self.events, self.sports, self.venues = await asyncio.to_thread(_search, self._filters())
        self.loaded = True

    @rx.event
    async def load(self):
        """on_load: take the filters from the query string (`?sport=`, `?type=`, `?q=`) and search."""
        params = self.router.url.query_parameters
        self.offer_type = params.get("type", "") if params.get("type", "") in OFFER_TYPES else ""
        self.sport = clean_text(params.get("sport", ""), 60)
        self.venue = clean_text(params.get("venue", ""), 120)
        self.search_text = clean_text(params.get("q", ""))
        self.date_from = self.date_to = ""
        await self._refresh()

    @rx.event
    async def set_filter(self, name: str, value: str):
        """Change one filter (offer_type, sport, venue, date_from, date_to, search_text) and search again."""
        value = clean_text(value, 120)
        if name == "offer_type":
            self.offer_type = value if value in OFFER_TYPES else ""
        elif name in ("sport", "venue", "search_text"):
            setattr(self, name, "" if value == "all" else value)
        elif name in ("date_from", "date_to"):
            setattr(self, name, value if _parse_date(value) else "")
        else:
            return
        await self._refresh()

    @rx.event
    async def search(self, form: dict[str, Any]):
        """Text search form submit."""
        self.search_text = clean_text(form.get("q", ""))
        await self._refresh()

    @rx.event
    async def reset_filters(self):
        self.offer_type = self.sport = self.venue = self.date_from = self.date_to = self.search_text = ""
        await self._refresh()

    @rx.var
    def has_filters(self) -> bool:
        return bool(self.offer_type or self.sport or self.venue or self.date_from or self.date_to
                    or self.search_text)


def _load_event(event_id: int) -> dict[str, Any] | None:
    with session_scope() as session:
        try:
            return event_row(catalog.get_event(session, event_id))
        except DomainError:
            return None


class EventPageState(AuthState):
    """The session page (`/billetterie/[event_id]`): details, packs and the quantity chosen per pack."""

    info: dict[str, Any] = {}
    not_found: bool = False
    quantities: dict[str, int] = {}
    max_packs: int = 6

    @rx.event
    async def load(self):
        from jo_app.config import get_settings

        self.max_packs = get_settings().max_packs_per_event_per_order
        raw = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        event_id = as_int(raw)
        row = await asyncio.to_thread(_load_event, event_id) if event_id and event_id > 0 else None
        self.info = row or {}
        self.not_found = row is None
        self.quantities = {str(o["id"]): 1 for o in (row or {}).get("offers", [])}

    @rx.event
    def set_quantity(self, offer_id: str, value: str | int):
        """Quantity picker (bounded to 1..max packs; only offers of this event)."""
        key = str(offer_id)
        number = as_int(value)
        if key in self.quantities and number is not None:
            self.quantities = {**self.quantities, key: max(1, min(self.max_packs, number))}

    @rx.event
    async def add_to_cart(self, offer_id: str):
        """Add the quantity chosen on this page (server-side value, not a client argument) of one of its packs."""
        key = str(offer_id)
        if key not in self.quantities:
            return None
        cart = await self.get_state(CartState)
        return await cart._change("add", key, self.quantities[key], f"/billetterie/{self.info.get('id', '')}")
