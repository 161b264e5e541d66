"""Prometheus metrics: `GET /metrics` (text exposition format), an ASGI middleware and business counters.

Two kinds of metrics:

- Process metrics, updated as things happen: HTTP requests and latency by route template and status
  (`MetricsMiddleware`), connected websocket clients (`/_event`), and business counters fed by domain events
  (`jo_app.wiring`): `record_order()`, `record_tickets(n)`, `record_scan(verdict)`. They never raise.
- Database gauges (`jo_app.web.metrics_db`), computed at scrape time with a few aggregate queries (cached
  `METRICS_DB_CACHE_SECONDS`, 10 s by default, so a scrape storm costs at most one round of queries per worker
  and period): seats left/sold per upcoming event, tickets by status, orders by status, scans by verdict,
  and `jo_db_up`.

Several worker processes (Granian workers, several app containers): with `PROMETHEUS_MULTIPROC_DIR` set to an
empty, per-host (per-container) directory, prometheus_client writes the process metrics to memory-mapped files
there and every scrape, whichever worker answers it, returns the sum over all the workers of that host. The
directory must be emptied before the app starts (the Docker entrypoint does it). Limits: the files of dead
workers stay (counters keep their counts, which is what Prometheus wants); the websocket gauge only sums workers
that are alive (`livesum`, dead pids are pruned at scrape time). Without the variable each worker exposes only
its own counters and a scrape through a load balancer sees one worker at random: scrape each app instance
directly (see monitoring/prometheus.yml) and use PROMETHEUS_MULTIPROC_DIR whenever GRANIAN_WORKERS > 1.

Access (the document shows revenue and ticket counts): with `METRICS_TOKEN` set, `Authorization: Bearer <token>`
is required (401 otherwise). Without it: 404 in production (`JO_ENV=prod`: the token is mandatory there), and in
development/tests only a loopback client that no proxy forwarded may read it (404 for anyone else). nginx also
refuses /metrics from outside.
"""

from __future__ import annotations

import glob
import hmac
import logging
import os
import re
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from jo_app.config import get_settings
from jo_app.web.metrics_db import DatabaseCollector, default_engine

log = logging.getLogger(__name__)

MULTIPROC_DIR = get_settings().prometheus_multiproc_dir
if MULTIPROC_DIR:
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

_REGISTRY = CollectorRegistry(auto_describe=True)  # process-local metrics (single-process mode)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter("jo_http_requests", "HTTP requests served, by route template and status.",
                        ["method", "route", "status"], registry=_REGISTRY)
HTTP_LATENCY = Histogram("jo_http_request_duration_seconds", "HTTP request latency, by route template and status.",
                         ["method", "route", "status"], buckets=LATENCY_BUCKETS, registry=_REGISTRY)
ORDERS = Counter("jo_orders", "Paid orders created by checkout.", registry=_REGISTRY)
REVENUE = Counter("jo_revenue_cents", "Amount of the paid orders created by checkout, in cents.", registry=_REGISTRY)
TICKETS = Counter("jo_tickets_issued", "E-tickets issued by checkout.", registry=_REGISTRY)
SCANS = Counter("jo_scans", "Gate scans, by verdict.", ["verdict"], registry=_REGISTRY)
WEBSOCKETS = Gauge("jo_websocket_clients", "Open websocket connections on /_event (live workers).",
                   multiprocess_mode="livesum", registry=_REGISTRY)

UNMATCHED = "<unmatched>"
_VERDICT = re.compile(r"^[A-Z_]{1,32}$")


# --- Business helpers (called by the states / API after the fact; they never raise) --------------------------------

def record_order(total_cents: int = 0) -> None:
    """One paid order was created (call once per created order, not for an idempotent replay)."""
    try:
        ORDERS.inc()
        if total_cents > 0:
            REVENUE.inc(total_cents)
    except Exception:  # metrics must never break a checkout
        log.exception("metrics: record_order failed")


def record_tickets(count: int) -> None:
    """`count` e-tickets were issued."""
    try:
        if count > 0:
            TICKETS.inc(count)
    except Exception:
        log.exception("metrics: record_tickets failed")


_SCAN_CHILDREN: dict[str, Counter] = {}


def record_scan(verdict: str) -> None:
    """One gate scan with this verdict (a `ScanVerdict` value; anything else is counted as OTHER)."""
    try:
        child = _SCAN_CHILDREN.get(verdict)
        if child is None:
            label = str(verdict)
            label = label if _VERDICT.match(label) else "OTHER"
            child = SCANS.labels(verdict=label)
            if label != "OTHER":  # the verdicts are a handful: cache those (`labels()` validates and locks)
                _SCAN_CHILDREN[label] = child
        child.inc()
    except Exception:
        log.exception("metrics: record_scan failed")


# --- ASGI middleware --------------------------------------------------------------------------------------------------

def route_label(scope: dict) -> str:
    """The matched route template (`/api/v1/orders/{reference}`), never the raw path (bounded cardinality).

    FastAPI (0.16x) keeps the full template of a route of an included router in its "effective route context"
    (`scope["route"]` only has the path relative to the router); Starlette routes and mounts have it on the route.
    """
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    path = getattr(context, "path_format", None)
    if not path:
        route = scope.get("route")
        path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if path else UNMATCHED


_HTTP_CHILDREN: dict[tuple[str, str, str], tuple] = {}


def _http_children(labels: tuple[str, str, str]) -> tuple:
    """The (counter, histogram) children of one label set, looked up once (`labels()` validates and locks)."""
    children = _HTTP_CHILDREN.get(labels)
    if children is None:
        children = (HTTP_REQUESTS.labels(*labels), HTTP_LATENCY.labels(*labels))
        if len(_HTTP_CHILDREN) < 10_000:  # bounded like the label sets themselves (route templates)
            _HTTP_CHILDREN[labels] = children
    return children


class MetricsMiddleware:
    """Counts HTTP requests/latency and open `/_event` websockets. Pure ASGI: bodies are streamed untouched."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            requests, latency = _http_children((scope.get("method", "GET"), route_label(scope), str(status)))
            requests.inc()
            latency.observe(time.perf_counter() - started)

    async def _websocket(self, scope, receive, send) -> None:
        accepted = False

        async def send_accept(message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                WEBSOCKETS.inc()
            await send(message)

        try:
            await self.app(scope, receive, send_accept)
        finally:
            if accepted:
                WEBSOCKETS.dec()


class _ProcessLocal:
    """The metrics of this process only (single-process mode)."""

    def collect(self):
        return _REGISTRY.collect()


DB_COLLECTOR = DatabaseCollector(default_engine, get_settings().metrics_db_cache_seconds)


def prune_dead_workers(path: str) -> None:
    """Forget the live gauges of worker processes that are gone (killed or restarted)."""
    for file in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        try:
            pid = int(file.rsplit("_", 1)[1].removesuffix(".db"))
            os.kill(pid, 0)
        except ProcessLookupError:
            mark_process_dead(pid, path)
        except (ValueError, PermissionError):
            continue


def exposition() -> bytes:
    """The whole /metrics document."""
    registry = CollectorRegistry(auto_describe=False)
    if MULTIPROC_DIR:
        prune_dead_workers(MULTIPROC_DIR)
        MultiProcessCollector(registry, path=MULTIPROC_DIR)
    else:
        registry.register(_ProcessLocal())
    registry.register(DB_COLLECTOR)
    return generate_latest(registry)


# --- Route ------------------------------------------------------------------------------------------------------------

router = APIRouter()


LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def _local_client(request: Request) -> bool:
    """The TCP peer is this machine and no proxy says it forwards someone else."""
    peer = request.client.host if request.client else ""
    return (peer in LOOPBACK or peer.startswith("127.")) and not any(
        request.headers.get(name) for name in FORWARDING_HEADERS)


def access_refusal(request: Request) -> Response | None:
    """None when the caller may read /metrics, else the refusal (see the module docstring)."""
    token = get_settings().metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return None
        return Response("unauthorized\n", status_code=401, media_type="text/plain",
                        headers={"WWW-Authenticate": "Bearer"})
    if get_settings().is_production or not _local_client(request):
        return Response("not found\n", status_code=404, media_type="text/plain")
    return None


def warn_if_unprotected() -> None:
    """At startup: say loudly that production without METRICS_TOKEN serves no metrics at all."""
    if get_settings().is_production and not get_settings().metrics_token:
        log.warning("METRICS_TOKEN is not set: /metrics answers 404 in production until it is")


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus scrape endpoint (sync: FastAPI runs it in a thread, the DB queries never block the loop)."""
    refusal = access_refusal(request)
    if refusal is not None:
        return refusal
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
