"""Live updates for staff screens and the visitor catalogue, pushed from the server (no polling).

- `publish_admin_stats(app)`: call after each sale, cancellation and gate scan. Every open admin dashboard is
  linked to the shared state `AdminLiveState` (token `adminstats`, which only keeps a change counter: being
  linked reveals nothing); each linked client's dashboard state then re-reads its figures on the server, after
  checking again, from that client's own session cookie, that it still belongs to an administrator. Bursts
  coalesce (one refresh per dashboard at most every 0.5 s). From FastAPI `def` routes use
  `publish_admin_stats_from_thread()`.
- `publish_catalogue(app, event_ids)`: call after a catalogue change (admin create / edit / publish / delete).
  It publishes the live stock (`publish_stock`) and re-runs the search of every open catalogue page linked to
  the shared stock, so a newly published session appears without a reload.

Both never raise (live updates are best effort; the database stays the truth).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import reflex as rx
from reflex.istate.manager.token import BaseStateToken

from jo_app.models import Role
from jo_app.state.auth import AuthState
from jo_app.state.stock import STOCK_TOKEN, StockState, _current_app, publish_stock

log = logging.getLogger(__name__)

ADMIN_STATS_TOKEN = "adminstats"  # shared-state tokens cannot contain "_"
_TASKS: set[asyncio.Task] = set()  # live refreshes in flight (kept referenced until done)
_DASHBOARD_RERUN: dict[str, bool] = {}  # token -> another refresh requested while one was running
DASHBOARD_MIN_INTERVAL = 0.5  # seconds between two refreshes of one dashboard (bursts of scans coalesce)


async def _connected(app: rx.App, token: str) -> bool:
    namespace = app.event_namespace
    return namespace is not None and await namespace._token_manager.is_token_connected(token)


def _log_failure(task: asyncio.Task) -> None:
    _TASKS.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("live refresh of a client failed: %s", task.exception())


def _spawn(coro) -> None:
    task = asyncio.create_task(coro)
    _TASKS.add(task)
    task.add_done_callback(_log_failure)


class AdminLiveState(rx.SharedState):
    """A change counter shared by every open admin dashboard (no data)."""

    version: int = 0

    @rx.event
    async def link(self):
        """Link this client to the admin counter (administrators only; others stay unlinked)."""
        auth = await self.get_state(AuthState)
        if await auth.require_user(Role.ADMIN) is None:
            return
        await self._link_to(ADMIN_STATS_TOKEN)


async def _refresh_dashboard(app: rx.App, token: str) -> None:
    from jo_app.state.admin_dashboard import AdminDashboardState

    if not await _connected(app, token):
        return
    async with app.modify_state(BaseStateToken(ident=token, cls=AdminDashboardState)) as root:
        dashboard = await root.get_state(AdminDashboardState)
        if dashboard.loaded:
            await dashboard._refresh_figures()


async def _refresh_dashboard_coalesced(app: rx.App, token: str) -> None:
    """Refresh one dashboard; calls arriving meanwhile collapse into one more refresh, at most every 0.5 s."""
    if token in _DASHBOARD_RERUN:
        _DASHBOARD_RERUN[token] = True
        return
    _DASHBOARD_RERUN[token] = False
    try:
        while True:
            await _refresh_dashboard(app, token)
            await asyncio.sleep(DASHBOARD_MIN_INTERVAL)
            if not _DASHBOARD_RERUN.get(token):
                break
            _DASHBOARD_RERUN[token] = False
    finally:
        _DASHBOARD_RERUN.pop(token, None)


async def publish_admin_stats(app: rx.App | None = None) -> None:
    """Make every open admin dashboard reload its figures (after a sale, a cancellation or a scan).

    The reloads run as separate tasks (each takes its client's state lock): safe to await from a handler.
    """
    try:
        app = app or _current_app()
        async with app.modify_state(BaseStateToken(ident=ADMIN_STATS_TOKEN, cls=AdminLiveState)) as root:
            live = await root.get_state(AdminLiveState)
            live.version += 1
            tokens = set(live._linked_from)
        for token in tokens:
            _spawn(_refresh_dashboard_coalesced(app, token))
    except Exception:
        log.exception("could not publish admin stats")


def publish_admin_stats_from_thread() -> None:
    """`publish_admin_stats` for blocking code in the server's worker threads (FastAPI `def` routes: REST
    checkout, REST scans). Runs on the server's event loop; a no-op (logged) outside such a thread."""
    import anyio.from_thread

    try:
        anyio.from_thread.run(publish_admin_stats, None)
    except Exception:
        log.exception("could not publish admin stats from a worker thread")


async def _refresh_catalogue_page(app: rx.App, token: str) -> None:
    from jo_app.state.shop import ShopState

    if not await _connected(app, token):
        return
    async with app.modify_state(BaseStateToken(ident=token, cls=ShopState)) as root:
        shop = await root.get_state(ShopState)
        if shop.loaded:
            await shop._refresh()


async def publish_catalogue(app: rx.App | None = None, event_ids: Iterable[int] | None = None) -> None:
    """Push a catalogue change: live seats now, then a fresh search on every open catalogue page.

    The page refreshes run as separate tasks (each takes that client's state lock), so this is safe to await
    from inside an event handler, even when the caller's own client has a catalogue open.
    """
    await publish_stock(app, None if event_ids is None else list(event_ids))
    try:
        app = app or _current_app()
        async with app.modify_state(BaseStateToken(ident=STOCK_TOKEN, cls=StockState)) as root:
            tokens = set((await root.get_state(StockState))._linked_from)
        for token in tokens:
            _spawn(_refresh_catalogue_page(app, token))
    except Exception:
        log.exception("could not publish the catalogue")
