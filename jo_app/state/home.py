"""Home page state."""

from __future__ import annotations

import asyncio

import reflex as rx

from jo_app.db import session_scope
from jo_app.services import summary


def _load_sessions_on_sale() -> int:
    with session_scope() as session:
        return summary.sessions_on_sale(session)


class HomeState(rx.State):
    """Public figures shown on the home page (no private data)."""

    sessions_on_sale: int = 0

    @rx.event
    async def load(self):
        self.sessions_on_sale = await asyncio.to_thread(_load_sessions_on_sale)
