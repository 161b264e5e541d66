"""Catalogue (filters + results) and session page states. Public data only; filters are sanitised server-side."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from jo_app.db import session_scope
from jo_app.live import hub, public_cache
from jo_app.services.catalog import listing as catalog
from jo_app.services.errors import DomainError
from jo_app.services.orders import onsales
from jo_app.state.auth import AuthState
from jo_app.state.catalog import live as catalogue_live
from jo_app.state.catalog import stock
from jo_app.state.client_input import as_int, clean_text
from jo_app.state.orders.cart import CartState
from jo_app.state.orders.queue import QueueState
from jo_app.state.shop_format import OFFER_TYPES, image_src, labels
from jo_app.timeutil import utcnow


def _offer_row(offer) -> dict[str, Any]:
    return {
        "id": offer.id, "title": offer.title, "description": offer.description, "offer_type": offer.offer_type,
        "persons": offer.persons, "price_cents": offer.price_cents, **labels("price", cents=offer.price_cents),
    }


def event_row(card: catalog.EventCard) -> dict[str, Any]:
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


FILTERS = ("offer_type", "sport", "venue", "date_from", "date_to", "text")


def search(filters: dict[str, str]) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """(event rows, sports, venues) for `filters` (missing: any), shared for a few seconds (blocking)."""
    filters = {name: filters.get(name, "") for name in FILTERS}
    return public_cache.shared(("search", *sorted(filters.items())), lambda: _search(filters))


def _search(filters: dict[str, str]) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    with session_scope() as session:
        cards = catalog.list_events(
            session, offer_type=filters["offer_type"] or None, sport=filters["sport"] or None,
            venue=filters["venue"] or None, date_from=_parse_date(filters["date_from"]),
            date_to=_parse_date(filters["date_to"]), text=filters["text"] or None,
        )
        return [event_row(c) for c in cards], catalog.sports(session), catalog.venues(session)


class ShopState(AuthState):
    """The catalogue page: filters, a filtered search's results (the whole catalogue: `catalogue_live`)."""

    offer_type: str = ""
    sport: str = ""
    venue: str = ""
    date_from: str = ""
    date_to: str = ""
    search_text: str = ""
    events: list[dict[str, Any]] = []  # results of a filtered search only (empty without filters)
    loaded: bool = False
    filters_open: bool = False  # phone: the filter menus are folded behind a button

    @rx.event
    def toggle_filters(self):
        self.filters_open = not self.filters_open

    def _filters(self) -> dict[str, str]:
        return {"offer_type": self.offer_type, "sport": self.sport, "venue": self.venue,
                "date_from": self.date_from, "date_to": self.date_to, "text": self.search_text}

    async def _refresh(self) -> None:
        """Search with the filters; without any, the page shows the shared catalogue and this state keeps nothing."""
        filters = self._filters()
        sid = self.router.session.session_id
        self.loaded = True
        if not any(filters.values()):
            if self.events:
                self.events = []
            await hub.leave(sid, catalogue_live.SEARCH_TOPIC)
            return
        key = ("search", *sorted(filters.items()))
        found = public_cache.peek(key)  # a burst of page loads shares one search, without a thread hop each
        if found is None:
            found = await asyncio.to_thread(search, filters)
        self.events = found[0]
        await hub.join(sid, catalogue_live.SEARCH_TOPIC)

    def _url_query(self) -> str:
        """The filters as the page's query string (shareable; Back from a session page comes back to them)."""
        pairs = (("type", self.offer_type), ("sport", self.sport), ("venue", self.venue), ("q", self.search_text),
                 ("from", self.date_from), ("to", self.date_to))
        query = urlencode([(name, value) for name, value in pairs if value])
        return f"?{query}" if query else ""

    def _sync_url(self) -> rx.event.EventSpec:
        """Write the filters into the address bar without a navigation (the router's history state is kept)."""
        path = "/billetterie" + self._url_query()
        return rx.call_script(f"window.history.replaceState(window.history.state, '', {json.dumps(path)})")

    @rx.event
    async def load(self):
        """on_load: show the identity (this page has no separate `load_identity` event), take the filters from the
        query string (`?type=&sport=&venue=&q=&from=&to=`), search, and follow the live catalogue and stock."""
        self._show_identity(await self.current_user())
        params = self.router.url.query_parameters
        self.offer_type = params.get("type", "") if params.get("type", "") in OFFER_TYPES else ""
        self.sport = clean_text(params.get("sport", ""), 60)
        self.venue = clean_text(params.get("venue", ""), 120)
        self.search_text = clean_text(params.get("q", ""))
        self.date_from = clean_text(params.get("from", ""), 10) if _parse_date(params.get("from", "")) else ""
        self.date_to = clean_text(params.get("to", ""), 10) if _parse_date(params.get("to", "")) else ""
        await self._refresh()
        sid = self.router.session.session_id
        await catalogue_live.link_page(sid)  # the shared catalogue and menus, pushed to the browser
        await stock.link_page(sid)  # the live seats left (in this event: no chained handler per page load)

    @rx.event
    async def live_refresh(self):
        """Search again (asked by the live `catalogue-search` room after a publish / unpublish; public data only)."""
        if self.loaded and self.has_filters and self.router.url.path.rstrip("/") == "/billetterie":
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
            return None
        await self._refresh()
        return self._sync_url()

    @rx.event
    async def search(self, form: dict[str, Any]):
        """Text search form submit."""
        self.search_text = clean_text(form.get("q", ""))
        await self._refresh()
        return self._sync_url()

    @rx.event
    async def reset_filters(self):
        self.offer_type = self.sport = self.venue = self.date_from = self.date_to = self.search_text = ""
        await self._refresh()
        return self._sync_url()

    @rx.var
    def has_filters(self) -> bool:
        return bool(self.offer_type or self.sport or self.venue or self.date_from or self.date_to
                    or self.search_text)

    @rx.var
    def date_range_reversed(self) -> bool:
        """Both dates set and the end before the start (said on the page rather than showing nothing)."""
        start, end = _parse_date(self.date_from), _parse_date(self.date_to)
        return start is not None and end is not None and end < start

    @rx.var
    def menu_filters(self) -> int:
        """How many of the folded filters (everything but the text search) are set."""
        return sum(1 for value in (self.offer_type, self.sport, self.venue, self.date_from, self.date_to) if value)


def _load_event(event_id: int) -> dict[str, Any] | None:
    with session_scope() as session:
        try:
            return event_row(catalog.get_event(session, event_id))
        except DomainError:
            return None


def _queued_onsale(event_id: int) -> int | None:
    with session_scope() as session:
        return onsales.queued_onsale(session, event_id)


def _page_data(event_id: int) -> tuple[dict[str, Any] | None, int | None]:
    """(the event's row, shared by the process's pages; its waiting room, read fresh: another process may change it)."""
    row = public_cache.shared(("event", event_id), lambda: _load_event(event_id))
    return row, (_queued_onsale(event_id) if row is not None else None)


PENDING_ADD_TTL_SECONDS = 2 * 3600


def parse_pending_add(value: str, now_epoch: int) -> tuple[int, str, int] | None:
    """(event id, offer id, packs) of a remembered "add to cart", or None when absent, malformed or too old."""
    parts = str(value or "").split(":")
    if len(parts) != 4:
        return None
    event_id, offer_id, packs, stamp = (as_int(part) for part in parts)
    if None in (event_id, offer_id, packs, stamp) or not 0 <= now_epoch - stamp <= PENDING_ADD_TTL_SECONDS:
        return None
    return event_id, str(offer_id), packs


class EventPageState(AuthState):
    """The session page (`/billetterie/[event_id]`): details, packs and the quantity chosen per pack.

    "Add to cart" clicked while logged out is remembered in the browser (`pending_add`, localStorage: it survives
    the login / sign-up detour and its fresh Reflex state) and applied when the visitor comes back logged in. It is
    only a wish: the add goes through the same checked cart service as a click.
    """

    info: dict[str, Any] = {}
    not_found: bool = False
    quantities: dict[str, int] = {}
    max_packs: int = 6
    pending_add: str = rx.LocalStorage("", name="jo_pending_add")

    @rx.event
    async def load(self):
        """on_load: show the identity (no separate `load_identity` event), the session, its live seats left."""
        from jo_app.config import get_settings

        self._show_identity(await self.current_user())

        self.max_packs = get_settings().max_packs_per_event_per_order
        raw = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        event_id = as_int(raw)
        row, onsale_id = (await asyncio.to_thread(_page_data, event_id) if event_id and event_id > 0
                          else (None, None))
        self.info = row or {}
        self.not_found = row is None
        self.quantities = {str(o["id"]): 1 for o in (row or {}).get("offers", [])}
        if row is not None:
            await stock.link_page(self.router.session.session_id)
        if onsale_id is not None:  # sold through a waiting room: only with this account's pass
            user = await self.require_user()
            queue = await self.get_state(QueueState)
            if user is None or not queue._has_pass(onsale_id, user.user_id):
                return rx.redirect(f"/file-attente/{onsale_id}")
        if self.pending_add and row is not None:
            return await self._apply_pending_add(int(row["id"]))
        return None

    async def _apply_pending_add(self, event_id: int):
        wish = parse_pending_add(self.pending_add, int(time.time()))
        if wish is None:
            self.pending_add = ""
            return None
        if wish[0] != event_id or wish[1] not in self.quantities or await self.require_user() is None:
            return None
        self.pending_add = ""
        _event, offer_id, packs = wish
        self.quantities = {**self.quantities, offer_id: max(1, min(self.max_packs, packs))}
        return await self._add(offer_id)

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
        return await self._add(str(offer_id))

    async def _add(self, key: str):
        if key not in self.quantities:
            return None
        if await self.require_user() is None:
            stamp = int(time.time())
            self.pending_add = f"{self.info.get('id', 0)}:{key}:{self.quantities[key]}:{stamp}"
        cart = await self.get_state(CartState)
        return await cart._change("add", key, self.quantities[key], f"/billetterie/{self.info.get('id', '')}")

