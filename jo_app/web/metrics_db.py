"""Database gauges of `/metrics`: a few aggregate queries at scrape time, cached (see `jo_app.web.metrics`)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)


class DatabaseCollector:
    """Gauges from a few aggregate queries, cached for `ttl` seconds (thread-safe)."""

    def __init__(self, engine_getter: Callable[[], Engine], ttl: float) -> None:
        self.engine_getter = engine_getter
        self.ttl = ttl
        self._lock = threading.Lock()
        self._cached_at = 0.0
        self._families: list[GaugeMetricFamily] = []

    def _query(self) -> list[GaugeMetricFamily]:
        from jo_app.models import Event, Order, ScanAttempt, Ticket
        from jo_app.timeutil import utcnow

        up = GaugeMetricFamily("jo_db_up", "1 when the metrics queries reached the database.")
        try:
            with self.engine_getter().connect() as conn:
                events = conn.execute(
                    select(Event.id, Event.slug, Event.capacity, Event.seats_sold, Event.seats_held)
                    .where(Event.is_published, Event.starts_at >= utcnow() - timedelta(days=1))
                    .order_by(Event.starts_at).limit(500)
                ).all()
                tickets = conn.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
                orders = conn.execute(select(Order.status, func.count()).group_by(Order.status)).all()
                scans = conn.execute(select(ScanAttempt.verdict, func.count()).group_by(ScanAttempt.verdict)).all()
        except Exception as exc:  # a scrape must still answer when the database is down
            log.warning("metrics: database gauges unavailable: %s", exc.__class__.__name__)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        left = GaugeMetricFamily("jo_event_seats_left", "Seats left (neither sold nor held) per upcoming event.",
                                 labels=["event_id", "slug"])
        sold = GaugeMetricFamily("jo_event_seats_sold", "Seats sold per upcoming published event.",
                                 labels=["event_id", "slug"])
        for event_id, slug, capacity, seats_sold, seats_held in events:
            left.add_metric([str(event_id), slug], capacity - seats_sold - seats_held)
            sold.add_metric([str(event_id), slug], seats_sold)
        held = GaugeMetricFamily("jo_event_seats_held", "Seats held in carts per upcoming published event.",
                                 labels=["event_id", "slug"])
        for event_id, slug, _capacity, _sold, seats_held in events:
            held.add_metric([str(event_id), slug], seats_held)
        families = [up, left, sold, held]
        for name, doc, label, rows in (
            ("jo_db_tickets", "Tickets in the database, by status.", "status", tickets),
            ("jo_db_orders", "Orders in the database, by status.", "status", orders),
            ("jo_db_scans", "Scan attempts in the database, by verdict.", "verdict", scans),
        ):
            family = GaugeMetricFamily(name, doc, labels=[label])
            for value, count in rows:
                family.add_metric([str(value)], count)
            families.append(family)
        return families

    def collect(self) -> Iterable[GaugeMetricFamily]:
        with self._lock:
            if time.monotonic() - self._cached_at >= self.ttl or not self._families:
                self._families = self._query()
                self._cached_at = time.monotonic()
            return list(self._families)


def default_engine() -> Engine:
    from jo_app.db import get_engine

    return get_engine()
