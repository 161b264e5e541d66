"""After-the-response work of the REST API: metrics and the live pushes the web UI shows.

Everything here runs on the server's event loop and returns at once: the routes await these coroutines (or hand
them to `BackgroundTasks`, which awaits coroutines on the loop too), so no request pays a worker-thread hop for
them. Pushes are coalesced: a burst of API orders or scans gives one push per half second, not one per request
(each push locks a shared Reflex state and re-reads the figures, which must stay off the hot path).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from jo_app.api import metrics
from jo_app.state.admin_live import publish_admin_stats
from jo_app.state.stock import publish_stock

log = logging.getLogger(__name__)


class Coalescer:
    """Runs the async `push` at most once per `interval` for any number of requests, and always after the last one.

    `request()` is called on an event loop and never waits: the first request of a burst schedules the push
    `interval` seconds later (it then reads the figures as they are), the next ones are covered by it; a request
    arriving once the push has started schedules another one.
    """

    def __init__(self, push: Callable[[], Awaitable[object]], interval: float = 0.5) -> None:
        self.push, self.interval = push, interval
        self._scheduled_on: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()

    def request(self) -> None:
        loop = asyncio.get_running_loop()
        if self._scheduled_on is loop:
            return
        self._scheduled_on = loop  # another loop (a restarted test client) reschedules on its own
        loop.call_later(self.interval, self._fire, loop)

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._scheduled_on is loop:
            self._scheduled_on = None
        task = loop.create_task(self._run())
        self._tasks.add(task)  # keep a reference until done
        task.add_done_callback(self._tasks.discard)

    async def _run(self) -> None:
        try:
            await self.push()
        except Exception:  # live figures are best effort; the database stays the truth
            log.exception("live push failed")


async def _push_sales() -> None:
    await publish_stock(None, None)
    await publish_admin_stats(None)


_SALES = Coalescer(_push_sales)
_SCANS = Coalescer(lambda: publish_admin_stats(None))


async def order_placed(total_cents: int, tickets: int) -> None:
    """An order was paid through the API: count it, push seats left and the admin dashboards."""
    metrics.record_order(total_cents)
    metrics.record_tickets(tickets)
    _SALES.request()


async def order_cancelled() -> None:
    """Seats were released through the API."""
    _SALES.request()


async def scanned(verdict: str) -> None:
    metrics.record_scan(verdict)
    _SCANS.request()
