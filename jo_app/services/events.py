"""Domain events: services announce what happened; subscribers (metrics, live pushes, the job worker) react.

`announce(session, event)` inside a service queues the event on the session; it is delivered only when that
session's transaction COMMITS (SQLAlchemy `after_commit`), and dropped when it rolls back (a refused checkout
announces nothing). Delivery runs on one dispatcher thread of this process: the committing caller (a Reflex
handler, an API route, the CLI) never waits for a subscriber, and a subscriber that raises is logged and skipped.
Subscriptions are wired once at start-up by the composition roots (`jo_app.wiring`), never by services.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
SLOW_SECONDS = 0.5  # a subscriber slower than this is logged (it delays later events, never a caller)
_PENDING = "jo_domain_events"


class DomainEvent:
    """Base class of the events below (frozen dataclasses)."""


@dataclass(frozen=True)
class OrderPlaced(DomainEvent):
    order_id: int
    reference: str
    user_id: int
    total_cents: int
    tickets: int


@dataclass(frozen=True)
class OrderCancelled(DomainEvent):
    order_id: int
    reference: str
    event_ids: tuple[int, ...]  # sessions whose seats were released


@dataclass(frozen=True)
class SeatsChanged(DomainEvent):
    """Seats were held or released (cart, holds expiring, resale listing or withdrawal, resale switch)."""


@dataclass(frozen=True)
class ResaleChanged(DomainEvent):
    """A ticket was listed for resale or withdrawn: seats on sale again, and the dashboard's resale figures."""


@dataclass(frozen=True)
class TicketsCancelled(DomainEvent):
    """Valid tickets were cancelled outside an order cancellation (an account erased with `force`): seats back on
    sale, the dashboard's figures and those sessions' gate counters change."""

    event_ids: tuple[int, ...]


@dataclass(frozen=True)
class CatalogChanged(DomainEvent):
    """A session or an offer was created, changed, published, unpublished or deleted."""


@dataclass(frozen=True)
class OnSaleChanged(DomainEvent):
    """An admin changed a queued on-sale (created, rate, paused, resumed, closed)."""

    onsale_id: int


@dataclass(frozen=True)
class TicketScanned(DomainEvent):
    verdict: str
    event_id: int | None  # the session the ticket was admitted to (None when not admitted)


@dataclass(frozen=True)
class JobsQueued(DomainEvent):
    """Durable jobs were written to the outbox of `engine` (wakes the in-process worker)."""

    engine: Any


Handler = Callable[[Any], None]
_subscribers: dict[type, list[Handler]] = defaultdict(list)
_queue: queue.SimpleQueue = queue.SimpleQueue()
_lock = threading.Lock()
_thread: threading.Thread | None = None
_busy = 0


def subscribe(kind: type[DomainEvent], handler: Handler) -> None:
    """Call `handler(event)` after each committed `kind` event (idempotent per handler)."""
    with _lock:
        if handler not in _subscribers[kind]:
            _subscribers[kind].append(handler)


def unsubscribe_all() -> None:
    """Forget every subscription (tests)."""
    with _lock:
        _subscribers.clear()


def announce(session: Session, event: DomainEvent) -> None:
    """Deliver `event` once the session's transaction commits (at once when no transaction is open)."""
    if not session.in_transaction():
        _enqueue([event])
        return
    session.info.setdefault(_PENDING, []).append(event)


def _enqueue(events: list[DomainEvent]) -> None:
    global _thread, _busy
    with _lock:
        if not any(_subscribers.get(type(e)) for e in events):
            return
        _busy += len(events)
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="jo-domain-events", daemon=True)
            _thread.start()
    for item in events:
        _queue.put(item)


def _deliver(item: DomainEvent) -> None:
    with _lock:
        handlers = list(_subscribers.get(type(item), ()))
    for handler in handlers:
        started = time.monotonic()
        try:
            handler(item)
        except Exception:  # a subscriber never breaks the others nor the caller
            log.exception("domain event subscriber %s failed on %r", getattr(handler, "__qualname__", handler), item)
        elapsed = time.monotonic() - started
        if elapsed > SLOW_SECONDS:
            log.warning("domain event subscriber %s took %.2f s", getattr(handler, "__qualname__", handler), elapsed)


def _run() -> None:
    global _busy
    while True:
        item = _queue.get()
        try:
            _deliver(item)
        finally:
            with _lock:
                _busy -= 1


def wait_idle(timeout: float = 5.0) -> bool:
    """Wait until every announced event was delivered (tests, shutdown). True when idle."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _lock:
            if _busy == 0:
                return True
        time.sleep(0.005)
    return False


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT released: the outer transaction may still roll back
        return
    pending = session.info.pop(_PENDING, None)
    if pending:
        _enqueue(pending)


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


@sa_event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit (closed): drop them
        session.info.pop(_PENDING, None)
