"""After-the-response work of the REST API: metrics and the live pushes the web UI shows.

Runs as FastAPI background tasks (sync functions in worker threads), so a slow push never delays a response.
Pushes are coalesced: a burst of API orders or scans gives one push per half second, not one per request (each
push locks a shared Reflex state and re-reads the figures, which must stay off the hot path).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from jo_app.api import metrics
from jo_app.state.admin_live import publish_admin_stats_from_thread
from jo_app.state.stock import publish_stock_from_thread


class Coalescer:
    """Runs `push` at most once per `interval` for any number of requests, and always after the last one."""

    def __init__(self, push: Callable[[], None], interval: float = 0.5) -> None:
        self.push, self.interval = push, interval
        self._lock = threading.Lock()
        self._pending = False

    def request(self) -> None:
        """Called from a worker thread; returns at once when a push is already scheduled."""
        with self._lock:
            if self._pending:
                return
            self._pending = True
        time.sleep(self.interval)  # gather the burst; the push then reads the figures as they are now
        with self._lock:
            self._pending = False
        self.push()


def _push_all() -> None:
    publish_stock_from_thread(None)
    publish_admin_stats_from_thread()


_SALES = Coalescer(_push_all)
_SCANS = Coalescer(publish_admin_stats_from_thread)


def order_placed(total_cents: int, tickets: int) -> None:
    """An order was paid through the API: count it, push seats left and the admin dashboards."""
    metrics.record_order(total_cents)
    metrics.record_tickets(tickets)
    _SALES.request()


def order_cancelled() -> None:
    """Seats were released through the API."""
    _SALES.request()


def scanned(verdict: str) -> None:
    metrics.record_scan(verdict)
    _SCANS.request()
