"""The public catalogue (every published session with its packs, the sport and venue menus), pushed to the browsers
of the catalogue pages from ONE place per process, not copied into each page's Reflex state.

Each catalogue page joins the live room `catalogue` on load (`link_page`) and gets the current catalogue in one
message per burst of page loads (`hub.welcome`); after a publish, unpublish or edit (`live.notify("catalogue")`)
each process reads the catalogue once and sends ONE update to its room. `CatalogueState` stays empty on the server:
its vars only exist in the browsers. A page with filters shows its own search results (`ShopState.events`), and
sits in the room `catalogue-search` too, which asks it to search again after a change.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.state import StateUpdate

from jo_app.live import TopicSpec, delta_update, events_update, hub, public_cache

TOPIC = "catalogue"
SEARCH_TOPIC = "catalogue-search"  # pages showing filtered results: they search again after a change


class CatalogueState(rx.State):
    """The unfiltered catalogue, pushed to the browsers (public data only; empty on the server)."""

    events: list[dict[str, Any]] = []
    sports: list[str] = []
    venues: list[str] = []
    loaded: bool = False


async def link_page(sid: str | None) -> None:
    """Put the page's socket in the `catalogue` room; the current catalogue follows (one message per burst)."""
    await hub.welcome(sid, TOPIC)


def read_catalogue() -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """(event rows, sports, venues) of the unfiltered catalogue, shared by the process (blocking)."""
    from jo_app.state.catalog.shop import search

    return search({})


def _catalogue_update(_topic: str) -> StateUpdate:
    events, sports, venues = read_catalogue()
    return delta_update(CatalogueState.get_full_name(),
                        {"events": events, "sports": sports, "venues": venues, "loaded": True})


def _changed(_topic: str) -> None:
    """In every process: forget the shared searches, and ask the pages with filters to search again."""
    public_cache.clear()
    hub.notify(SEARCH_TOPIC, relay=False)


def _search_again(_topic: str) -> StateUpdate:
    from jo_app.state.catalog.shop import ShopState

    return events_update(f"{ShopState.get_full_name()}.live_refresh")


hub.register(TOPIC, TopicSpec(_catalogue_update, interval=0.2, on_change=_changed))
hub.register(SEARCH_TOPIC, TopicSpec(_search_again, interval=0.2))
