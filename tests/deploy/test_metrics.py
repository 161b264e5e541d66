"""/metrics (Prometheus), the metrics middleware, X-Request-ID and JSON logs, on the real FastAPI app of the
project (jo_app.api.app) over a fresh PostgreSQL database; multiprocess aggregation in real child processes."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import textwrap

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from jo_app import wiring
from jo_app.config import get_settings
from jo_app.db import make_engine
from jo_app.logging_setup import configure_logging
from jo_app.models import Ticket
from jo_app.services import events
from jo_app.services.gate import admission as gate
from jo_app.services.tickets import signing
from jo_app.services.tickets.tokens import ensure_payload
from jo_app.web import metrics
from tests.deploy.conftest import ROOT, add_visitor, app_env, build_shop, buy

EXPECTED = [
    "jo_http_requests", "jo_http_request_duration_seconds", "jo_orders", "jo_revenue_cents", "jo_tickets_issued",
    "jo_scans", "jo_websocket_clients", "jo_db_up", "jo_event_seats_left", "jo_event_seats_sold", "jo_db_tickets",
    "jo_db_orders", "jo_db_scans",
]


def scrape(client: TestClient, **headers: str) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    samples[("__families__", ())] = {f.name for f in text_string_to_metric_families(response.text)}
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def live(pg_database, monkeypatch):
    """The project's FastAPI app on a fresh migrated database (settings switched for this test)."""
    url = pg_database("jo_metrics", tables="create_all")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    get_settings.cache_clear()
    monkeypatch.setattr(metrics.DB_COLLECTOR, "ttl", 0.0)
    signing.clear_cache()
    from jo_app.api.app import api

    engine = make_engine(url, pool_size=2, max_overflow=0)
    with TestClient(api, client=("127.0.0.1", 50000)) as client:  # no METRICS_TOKEN: loopback clients only
        yield client, engine
    engine.dispose()
    signing.clear_cache()
    get_settings.cache_clear()
    from jo_app.db import _ENGINES

    stale = _ENGINES.pop(url, None)
    if stale is not None:
        stale.dispose()


def test_metrics_expose_every_family_and_follow_checkouts_and_scans(live):
    client, engine = live
    wiring.wire()  # the app's reactions to domain events: the business counters
    shop = build_shop(engine, visitors=1, orders_each=1)  # one order, one duo ticket
    assert events.wait_idle()
    before = scrape(client)
    assert set(EXPECTED) <= before[("__families__", ())], before[("__families__", ())]
    assert value(before, "jo_db_up") == 1
    event = {"event_id": str(shop.event_id)}
    slug = next(labels for (name, labels) in before if name == "jo_event_seats_left")
    event["slug"] = dict(slug)["slug"]
    assert value(before, "jo_event_seats_left", **event) == 500 - 2
    assert value(before, "jo_event_seats_sold", **event) == 2
    assert value(before, "jo_db_orders", status="paid") == 1
    assert value(before, "jo_db_tickets", status="valid") == 1

    # A checkout through the services: its OrderPlaced event is counted after the commit.
    with Session(engine, expire_on_commit=False) as session:
        user_id = add_visitor(session, "metrics-")
        result = buy(session, user_id, shop.offer_id, quantity=3)
    assert events.wait_idle()
    after_order = scrape(client)
    assert value(after_order, "jo_orders_total") == value(before, "jo_orders_total") + 1
    assert value(after_order, "jo_revenue_cents_total") == value(before, "jo_revenue_cents_total") + 27000
    assert value(after_order, "jo_tickets_issued_total") == value(before, "jo_tickets_issued_total") + 3
    assert value(after_order, "jo_event_seats_left", **event) == 500 - 2 - 6
    assert value(after_order, "jo_db_orders", status="paid") == 2
    assert value(after_order, "jo_db_tickets", status="valid") == 4

    # A gate scan: admitted once, then ALREADY_USED.
    with Session(engine, expire_on_commit=False) as session:
        ticket = session.exec(select(Ticket).where(Ticket.id == result.ticket_ids[0])).one()
        payload = ensure_payload(session, ticket)
        session.commit()
        verdicts = [gate.validate_scan(session, payload, employee_id=shop.employee_id, gate="Porte A").verdict
                    for _ in range(2)]
    assert verdicts == ["VALID", "ALREADY_USED"]
    assert events.wait_idle()  # each scan's TicketScanned is counted after its commit
    metrics.record_scan("<script>")  # junk never becomes a label
    after_scan = scrape(client)
    for verdict in ("VALID", "ALREADY_USED", "OTHER"):
        assert value(after_scan, "jo_scans_total", verdict=verdict) == value(after_order, "jo_scans_total",
                                                                             verdict=verdict) + 1
    assert value(after_scan, "jo_db_scans", verdict="VALID") == 1
    assert value(after_scan, "jo_db_scans", verdict="ALREADY_USED") == 1
    assert value(after_scan, "jo_db_tickets", status="used") == 1
    assert not any(labels and ("verdict", "<script>") in labels for _, labels in after_scan)


def test_http_metrics_use_route_templates_and_count_statuses(live):
    client, _ = live
    before = scrape(client)
    labels = {"method": "GET", "route": "/billets/{ticket_id}/qr.png"}
    for ticket_id in (101, 202, 303):
        response = client.get(f"/billets/{ticket_id}/qr.png")
    status = str(response.status_code)
    assert status.startswith("4")  # no session cookie
    client.get("/definitely/not/a/route")
    client.get("/api/v1/orders/JO24-ABCD-EFGH")  # a route of an included router: the full template
    after = scrape(client)
    assert value(after, "jo_http_requests_total", method="GET", route="/api/v1/orders/{reference}", status="401") >= 1
    assert value(after, "jo_http_requests_total", **labels, status=status) == \
        value(before, "jo_http_requests_total", **labels, status=status) + 3
    assert value(after, "jo_http_request_duration_seconds_count", **labels, status=status) >= 3
    assert value(after, "jo_http_requests_total", method="GET", route="<unmatched>", status="404") >= 1
    routes = {dict(labels).get("route") for (name, labels) in after if name == "jo_http_requests_total"}
    raw = ("101", "202", "303", "JO24-ABCD-EFGH", "/definitely")
    assert not any(route and any(r in route for r in raw) for route in routes), routes  # no raw paths or ids


def test_metrics_token_is_required_when_configured(live, monkeypatch):
    client, _ = live
    monkeypatch.setenv("METRICS_TOKEN", "s3cret-token")
    get_settings.cache_clear()
    try:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert "jo_db_up" in client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"}).text
    finally:
        monkeypatch.delenv("METRICS_TOKEN")
        get_settings.cache_clear()


def test_database_gauges_are_cached_between_scrapes(live, monkeypatch):
    client, engine = live
    monkeypatch.setattr(metrics.DB_COLLECTOR, "ttl", 3600.0)
    monkeypatch.setattr(metrics.DB_COLLECTOR, "_cached_at", 0.0)
    first = scrape(client)
    build_shop(engine, visitors=1, orders_each=1)
    assert value(scrape(client), "jo_db_orders", status="paid") == value(first, "jo_db_orders", status="paid")
    monkeypatch.setattr(metrics.DB_COLLECTOR, "ttl", 0.0)
    assert value(scrape(client), "jo_db_orders", status="paid") == value(first, "jo_db_orders", status="paid") + 1


def test_request_id_header_and_json_access_log(live):
    client, _ = live
    stream = io.StringIO()
    handler = configure_logging(fmt="json", level="INFO", stream=stream)
    try:
        given = client.get("/ping-does-not-exist", headers={"X-Request-ID": "nginx-abc.123"})
        assert given.headers["x-request-id"] == "nginx-abc.123"
        forged = client.get("/metrics", headers={"X-Request-ID": "bad id\r\nx" + "y" * 80})
        generated = forged.headers["x-request-id"]
        assert len(generated) == 32 and generated.isalnum()
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "jo_app.access"]
    by_id = {line["request_id"]: line for line in access}
    assert by_id["nginx-abc.123"]["status"] == 404 and by_id["nginx-abc.123"]["path"] == "/ping-does-not-exist"
    assert by_id[generated]["status"] == 200 and by_id[generated]["duration_ms"] >= 0
    assert {"ts", "level", "message", "pid", "method"} <= set(by_id[generated])


def test_websocket_clients_gauge_counts_open_connections():
    async def echo(websocket):
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.receive_text()  # wait until the client says bye
        await websocket.close()

    app = metrics.MetricsMiddleware(Starlette(routes=[WebSocketRoute("/_event", echo)]))
    start = metrics.WEBSOCKETS._value.get()
    client = TestClient(app)
    with client.websocket_connect("/_event") as first, client.websocket_connect("/_event") as second:
        first.send_text("a")
        second.send_text("b")
        assert first.receive_text() == "a" and second.receive_text() == "b"
        assert metrics.WEBSOCKETS._value.get() == start + 2
        first.send_text("bye")
        second.send_text("bye")
    assert metrics.WEBSOCKETS._value.get() == start


CHILD = textwrap.dedent("""
    import os, sys
    from jo_app.web import metrics
    for _ in range(int(sys.argv[1])):
        metrics.record_order(1000)
    metrics.record_scan("VALID")
    metrics.WEBSOCKETS.inc()  # a worker killed with a client connected: its live gauge must not linger
    print(os.getpid())
""")
SCRAPER = textwrap.dedent("""
    from jo_app.web import metrics
    metrics.DB_COLLECTOR.engine_getter = lambda: (_ for _ in ()).throw(RuntimeError("no db"))
    print(metrics.exposition().decode())
""")


def test_multiprocess_mode_sums_the_workers(tmp_path):
    env = app_env(PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prom"))
    pids = [subprocess.run([sys.executable, "-c", CHILD, str(count)], cwd=ROOT, env=env, check=True, timeout=60,
                           capture_output=True, text=True).stdout.strip() for count in (2, 3)]
    assert (tmp_path / "prom" / f"gauge_livesum_{pids[0]}.db").exists()
    out = subprocess.run([sys.executable, "-c", SCRAPER], cwd=ROOT, env=env, check=True, timeout=60,
                         capture_output=True, text=True).stdout
    samples = {s.name: s for f in text_string_to_metric_families(out) for s in f.samples}
    assert samples["jo_orders_total"].value == 5
    assert samples["jo_revenue_cents_total"].value == 5000
    assert samples["jo_scans_total"].value == 2
    assert samples.get("jo_websocket_clients") is None or samples["jo_websocket_clients"].value == 0
    assert samples["jo_db_up"].value == 0  # the scrape still answers when the database is unreachable
    assert not [pid for pid in pids if (tmp_path / "prom" / f"gauge_livesum_{pid}.db").exists()]
    assert os.listdir(tmp_path / "prom")  # counters of finished workers are kept


def test_grafana_dashboard_only_uses_exposed_metrics(live):
    client, engine = live
    build_shop(engine, visitors=1, orders_each=1)
    metrics.record_order(1)
    metrics.record_tickets(1)
    metrics.record_scan("VALID")
    client.get("/metrics")  # one request, so the HTTP histogram has samples
    text_ = client.get("/metrics").text
    families = list(text_string_to_metric_families(text_))
    exposed = {f.name for f in families} | {s.name for f in families for s in f.samples}
    dashboard = json.loads((ROOT / "monitoring" / "grafana-dashboard.json").read_text())
    used = {name for panel in dashboard["panels"] for target in panel["targets"]
            for name in re.findall(r"\bjo_[a-z_]+\b", target["expr"])}
    assert used and used <= exposed, used - exposed
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
