"""Live seats left per event, shared by every open catalogue / session / home page (no per-client polling).

`StockState` is an `rx.SharedState`: the pages' on_load links each client to the one shared token `stock`, so a
change of `seats_left` made under that token is pushed to every linked client at once. Writers:
- `StockState.refresh` (public, harmless: it only re-reads the database);
- `publish_stock(app, event_ids)` (server side: checkout, cancellations, admin, REST API), which modifies the
  shared token's state directly through `app.modify_state`.
Keys are event ids as strings (JSON object keys), values are seats left (capacity - seats sold).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

import reflex as rx
from reflex.istate.manager.token import BaseStateToken

from jo_app.db import session_scope
from jo_app.services import catalog
from jo_app.services.errors import DomainError

log = logging.getLogger(__name__)

STOCK_TOKEN = "stock"  # shared-state tokens cannot contain "_"
PRUNE_INTERVAL_SECONDS = 60.0


def read_seats_left(event_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Seats left per published event id (as str) from the database; all of them when `event_ids` is None.

    Unpublished events are left out (their figures are not public); ids asked for but absent are not in the
    result, and `publish_stock` drops them from the shared mapping. Blocking.
    """
    with session_scope() as session:
        if event_ids is None:
            cards = catalog.list_events(session, include_unpublished=True)
            return {str(card.id): int(card.seats_left) for card in cards if card.is_published}
        wanted = sorted({int(i) for i in event_ids})
        published = set()
        for event_id in wanted:
            try:
                catalog.get_event(session, event_id)
            except DomainError:
                continue
            published.add(event_id)
        return {str(event_id): int(left) for event_id, left in catalog.seats_left_by_event(session, wanted).items()
                if event_id in published}


def _merge(current: dict[str, int], fresh: dict[str, int], *, replace: bool,
           asked: Iterable[int] = ()) -> dict[str, int] | None:
    """The new mapping, or None when nothing changed (so no delta is sent to the linked clients)."""
    merged = dict(fresh) if replace else {**current, **fresh}
    for event_id in asked:
        if str(event_id) not in fresh:
            merged.pop(str(event_id), None)
    return None if merged == current else merged


class StockState(rx.SharedState):
    """Seats left per event id, linked to the shared token `stock` (public data only)."""

    seats_left: dict[str, int] = {}

    @rx.event
    async def link(self):
        """Link this client to the shared stock and refresh it from the database (on_load of the shop pages)."""
        linked = await self._link_to(STOCK_TOKEN)
        fresh = await asyncio.to_thread(read_seats_left)
        merged = _merge(linked.seats_left, fresh, replace=True)
        if merged is not None:
            linked.seats_left = merged

    @rx.event
    async def refresh(self):
        """Re-read every figure from the database (harmless: no client input is used)."""
        fresh = await asyncio.to_thread(read_seats_left)
        merged = _merge(self.seats_left, fresh, replace=True)
        if merged is not None:
            self.seats_left = merged


def _current_app() -> rx.App:
    from reflex_base.registry import RegistrationContext

    try:
        return RegistrationContext.get().app
    except Exception:  # outside an event context (API route, CLI): import the app module
        from reflex.utils import prerequisites

        return prerequisites.get_and_validate_app().app


_last_prune = 0.0


async def _prune_links(app: rx.App, stock: StockState) -> None:
    """Forget clients that have gone away (at most once a minute).

    Reflex keeps every client token that ever linked and checks each one at every push; without pruning, a
    push would cost one lookup per visitor of the day. A pruned client that comes back links again on load.
    """
    global _last_prune
    namespace = app.event_namespace
    if namespace is None or time.monotonic() - _last_prune < PRUNE_INTERVAL_SECONDS:
        return
    _last_prune = time.monotonic()
    linked = set(stock._linked_from)
    alive = {token for token in linked if await namespace._token_manager.is_token_connected(token)}
    if alive != linked:
        stock._linked_from = alive


async def publish_stock(app: rx.App | None, event_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Push the current seats left of `event_ids` (all events when None) to every client linked to `stock`.

    Call it after any change of `Event.seats_sold` or capacity (checkout, cancellation, admin edit, REST API),
    outside any handler's `async with self` block. `app` may be None inside a Reflex event. Returns the figures
    pushed. Never raises: a failed push only means clients see the figure at their next page load.
    """
    try:
        ids = None if event_ids is None else sorted({int(i) for i in event_ids})
        fresh = await asyncio.to_thread(read_seats_left, ids)
        app = app or _current_app()
        async with app.modify_state(BaseStateToken(ident=STOCK_TOKEN, cls=StockState)) as root:
            stock = await root.get_state(StockState)
            await _prune_links(app, stock)
            merged = _merge(stock.seats_left, fresh, replace=ids is None, asked=ids or ())
            if merged is not None:
                stock.seats_left = merged
        return fresh
    except Exception:  # live figures are best effort; the database stays the truth
        log.exception("could not publish stock for %s", event_ids)
        return {}


def publish_stock_from_thread(event_ids: Iterable[int] | None = None) -> None:
    """`publish_stock` for blocking code running in the server's worker threads (FastAPI `def` routes).

    Runs the push on the server's event loop and waits for it; a no-op (logged) outside such a thread.
    """
    import anyio.from_thread

    try:
        anyio.from_thread.run(publish_stock, None, None if event_ids is None else list(event_ids))
    except Exception:
        log.exception("could not publish stock from a worker thread for %s", event_ids)
