"""Home page state: public figures, upcoming sessions and sports (no private data)."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from jo_app.db import session_scope
from jo_app.services import catalog, summary
from jo_app.state.stock import StockState

UPCOMING = 6


def _load_home() -> tuple[int, list[dict[str, Any]], list[str]]:
    from jo_app.state.shop import event_row

    with session_scope() as session:
        events = catalog.list_events(session)
        return (summary.sessions_on_sale(session), [event_row(e) for e in events[:UPCOMING]],
                catalog.sports(session))


class HomeState(rx.State):
    """Public figures shown on the home page."""

    sessions_on_sale: int = 0
    upcoming: list[dict[str, Any]] = []
    sports: list[str] = []

    @rx.event
    async def load(self):
        """on_load: figures from the database, then link the live stock."""
        self.sessions_on_sale, self.upcoming, self.sports = await asyncio.to_thread(_load_home)
        return StockState.link
