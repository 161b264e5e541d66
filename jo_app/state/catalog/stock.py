"""Live seats left per event on the catalogue, session and home pages (no per-client polling, no shared state).

The pages' own on_load handlers call `link_page` (or a page chains `StockState.link`): the page's socket joins the
live room `stock` (jo_app.live) and gets the current figures at once. After any change of seats sold or capacity,
writers call `jo_app.live.notify("stock")`; each process then reads the seats left of every published event once
and sends ONE update to its room. The figures are not kept in each client's server-side state (`seats_left` stays
empty there): they only go to the browsers. Keys are event ids as strings (JSON object keys), values are seats
left (capacity - seats sold - seats held); unpublished events are left out, so their pages fall back to the figure
loaded with the page.
"""

from __future__ import annotations

import reflex as rx
from reflex.state import StateUpdate

from jo_app.db import read_scope
from jo_app.live import TopicSpec, delta_update, hub
from jo_app.services.catalog import listing as catalog

TOPIC = "stock"


def read_seats_left() -> dict[str, int]:
    """Seats left per published event id (as str), from the database (blocking)."""
    with read_scope() as session:  # one statement, no transaction round trips
        return {str(event_id): int(left) for event_id, left in catalog.published_seats_left(session).items()}


async def link_page(sid: str | None) -> None:
    """Put the page's socket in the `stock` room; the current figures follow, in one message per burst of page
    loads (`hub.welcome`). Called by the pages' own on_load handlers: one event per page load instead of a chained
    `link` event."""
    await hub.welcome(sid, TOPIC)


class StockState(rx.State):
    """Seats left per event id, pushed to the browsers (public data only; empty on the server)."""

    seats_left: dict[str, int] = {}

    @rx.event
    async def link(self):
        """Follow the live stock from this page (on_load of the shop pages): join the room, get the figures."""
        await link_page(self.router.session.session_id)

    @rx.event
    async def refresh(self):
        """Send this page the current figures again (harmless: no client input is used)."""
        await hub.send_snapshot(self.router.session.session_id, TOPIC)


def _stock_update(_topic: str) -> StateUpdate:
    return delta_update(StockState.get_full_name(), {"seats_left": read_seats_left()})


# A burst of sales (an on-sale) pushes at most ~4 times a second; a lone sale at once. Figures only: an unchanged
# read (a payment of held seats: held -> sold) is not sent again.
hub.register(TOPIC, TopicSpec(_stock_update, interval=0.05, burst_interval=0.25, skip_unchanged=True))
