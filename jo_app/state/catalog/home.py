"""Home page state: public figures, upcoming sessions and sports (no private data)."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from jo_app.db import session_scope
from jo_app.live import public_cache
from jo_app.services import summary
from jo_app.services.catalog import listing as catalog
from jo_app.state.catalog.stock import link_page

UPCOMING = 6


def _load_home() -> tuple[int, list[dict[str, Any]], list[str]]:
    from jo_app.state.catalog.shop import event_row

    with session_scope() as session:
        events = catalog.list_events(session)
        return (summary.sessions_on_sale(session), [event_row(e) for e in events[:UPCOMING]],
                catalog.sports(session))


class HomeState(rx.State):
    """Public figures shown on the home page."""

    sessions_on_sale: int = 0
    upcoming: list[dict[str, Any]] = []
    sports: list[str] = []
    loaded: bool = False  # until then the page shows skeletons, never a "0 sessions" that is not true

    @rx.event
    async def load(self):
        """on_load: figures from the database, then link the live stock."""
        self.sessions_on_sale, self.upcoming, self.sports = await asyncio.to_thread(
            public_cache.shared, "home", _load_home)
        self.loaded = True
        await link_page(self.router.session.session_id)
