"""Composition root of the reactions to domain events: who listens to what (`jo_app.services.events`).

Called once at start-up by the app (`jo_app.jo_app`) and by the REST API (`jo_app.api.app`); idempotent. Services
announce, the Reflex states and the API routes call the service and nothing after it; everything that follows a
commit is here: Prometheus counters, live pushes to open pages, waking the in-process job worker.
"""

from __future__ import annotations

from jo_app import live
from jo_app.services import events, job_worker
from jo_app.web import metrics


def _order_placed(event: events.OrderPlaced) -> None:
    metrics.record_order(event.total_cents)
    metrics.record_tickets(event.tickets)
    live.notify("stock", "admin")


def _order_cancelled(event: events.OrderCancelled) -> None:
    live.notify("stock", "admin", *(f"gate:{int(event_id)}" for event_id in event.event_ids))


def _tickets_cancelled(event: events.TicketsCancelled) -> None:
    live.notify("stock", "admin", *(f"gate:{int(event_id)}" for event_id in event.event_ids))


def _seats_changed(_event: events.SeatsChanged) -> None:
    live.notify("stock")


def _resale_changed(_event: events.ResaleChanged) -> None:
    live.notify("stock", "admin")  # seats left, and the admin dashboard's resale figures


def _catalog_changed(_event: events.CatalogChanged) -> None:
    live.notify("stock", "catalogue")


def _onsale_changed(event: events.OnSaleChanged) -> None:
    live.notify(f"queue:{int(event.onsale_id)}", "onsales")  # waiting pages and admin screens (state/orders/queue_live)


def _ticket_scanned(event: events.TicketScanned) -> None:
    metrics.record_scan(event.verdict)
    live.notify("admin", *((f"gate:{int(event.event_id)}",) if event.event_id else ()))


def _jobs_queued(event: events.JobsQueued) -> None:
    job_worker.kick(event.engine)


def wire() -> None:
    """Subscribe every reaction (safe to call more than once)."""
    events.subscribe(events.OrderPlaced, _order_placed)
    events.subscribe(events.OrderCancelled, _order_cancelled)
    events.subscribe(events.TicketsCancelled, _tickets_cancelled)
    events.subscribe(events.SeatsChanged, _seats_changed)
    events.subscribe(events.ResaleChanged, _resale_changed)
    events.subscribe(events.CatalogChanged, _catalog_changed)
    events.subscribe(events.OnSaleChanged, _onsale_changed)
    events.subscribe(events.TicketScanned, _ticket_scanned)
    events.subscribe(events.JobsQueued, _jobs_queued)
