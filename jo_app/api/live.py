"""After-the-response work of the REST API: metrics and the live pushes the web UI shows.

Runs as FastAPI background tasks (sync functions in worker threads), so a slow push never delays a response.
"""

from __future__ import annotations

from jo_app.api import metrics
from jo_app.state.admin_live import publish_admin_stats_from_thread
from jo_app.state.stock import publish_stock_from_thread


def order_placed(total_cents: int, tickets: int) -> None:
    """An order was paid through the API: count it, push seats left and the admin dashboards."""
    metrics.record_order(total_cents)
    metrics.record_tickets(tickets)
    publish_stock_from_thread(None)
    publish_admin_stats_from_thread()


def order_cancelled() -> None:
    """Seats were released through the API."""
    publish_stock_from_thread(None)
    publish_admin_stats_from_thread()


def scanned(verdict: str) -> None:
    metrics.record_scan(verdict)
    publish_admin_stats_from_thread()
