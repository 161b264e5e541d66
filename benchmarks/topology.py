"""Orders/s and scans/s through the production topology (prints figures; not a test).

    .venv/bin/python -m benchmarks.topology [--concurrency 32] [--orders 640] [--workers 2]

Two set-ups on loopback, each on a fresh PostgreSQL database with its own Redis server (tests/deploy/topology.py):
  1. single: ONE app process with ONE Granian worker, called directly (no nginx);
  2. nginx: nginx (TLS, the repo's configuration) in front of TWO app processes with `--workers` workers each.
In each: `--concurrency` API clients (keep-alive HTTPS/HTTP sessions, one account each) buy `--orders` solo packs
in total with `POST /api/v1/orders` (direct items, no confirmation e-mail), then employees scan every ticket once
with `POST /api/v1/scans`. Prints orders/s, scans/s, p50/p99, and checks seats sold = persons on tickets.
Rate limits are off (RATE_LIMITS_ENABLED=false, and nginx's per-address limits are lifted since every client
is 127.0.0.1): this measures capacity, not the limiters.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path

# The app processes' key: tickets signed here (ensure_payload) must verify there.
from tests.deploy.topology import SECRET

os.environ["SECRET_KEY"] = SECRET
os.environ.setdefault("BCRYPT_ROUNDS", "4")

import requests
import urllib3
from sqlalchemy import text
from sqlmodel import Session, select

from benchmarks.common import percentile
from jo_app.models import Role, Ticket
from jo_app.services.accounts import users
from jo_app.services.tickets.tokens import ensure_payload
from tests.deploy.conftest import PASSWORD, add_event
from tests.deploy.topology import Topology, free_port, topology

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2039, "cvc": "123", "holder": "Bench Buyer"}


def _accounts(topo: Topology, count: int, role: Role) -> list[str]:
    emails = []
    with Session(topo.engine, expire_on_commit=False) as session:
        for _ in range(count):
            email = f"bench-{uuid.uuid4().hex[:10]}@example.org"
            users.create_user(session, email=email, password=PASSWORD, first_name="Bench", last_name="User",
                              role=role, verified=True)
            emails.append(email)
        session.commit()
    return emails


def _client(base: str, email: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE overrides verify=False
    session.verify = False
    response = session.post(f"{base}/api/v1/auth/token", json={"email": email, "password": PASSWORD}, timeout=30)
    response.raise_for_status()
    session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return session


def _run(clients: list[requests.Session], jobs: list[list], work) -> tuple[float, list[float], int]:
    """Run `work(client, job)` for each client's job list in its own thread; (seconds, latencies, failures)."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    start_gate = threading.Barrier(len(clients) + 1)

    def loop(client, mine) -> None:
        start_gate.wait()
        local, bad = [], 0
        for job in mine:
            t0 = time.perf_counter()
            ok = work(client, job)
            local.append(time.perf_counter() - t0)
            bad += 0 if ok else 1
        with lock:
            latencies.extend(local)
            failures[0] += bad

    threads = [threading.Thread(target=loop, args=(c, j)) for c, j in zip(clients, jobs, strict=True)]
    for thread in threads:
        thread.start()
    start_gate.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - t0, latencies, failures[0]


def measure(topo: Topology, base: str, concurrency: int, orders: int) -> dict[str, float]:
    with Session(topo.engine, expire_on_commit=False) as session:
        event_id, offer_id = add_event(session, capacity=orders * 2 + 100, hours_ahead=2, persons=1)
    buyers = [_client(base, email) for email in _accounts(topo, concurrency, Role.VISITOR)]
    per_client = [orders // concurrency + (1 if i < orders % concurrency else 0) for i in range(concurrency)]

    def buy(client, _job) -> bool:
        response = client.post(f"{base}/api/v1/orders", timeout=60,
                               headers={"Idempotency-Key": uuid.uuid4().hex},
                               json={"card": CARD, "items": [{"offer_id": offer_id, "quantity": 1}],
                                     "send_confirmation": False})
        return response.status_code == 201

    order_s, order_lat, order_fail = _run(buyers, [[None] * n for n in per_client], buy)

    with Session(topo.engine, expire_on_commit=False) as session:
        tickets = session.exec(select(Ticket).where(Ticket.event_id == event_id)).all()
        payloads = [ensure_payload(session, t) for t in tickets]
        session.commit()
    staff = [_client(base, email) for email in _accounts(topo, concurrency, Role.EMPLOYEE)]
    jobs = [payloads[i::concurrency] for i in range(concurrency)]

    def scan(client, payload) -> bool:
        response = client.post(f"{base}/api/v1/scans", timeout=60,
                               json={"payload": payload, "gate": "Porte A", "event_id": event_id})
        ok = response.status_code == 200 and response.json()["verdict"] == "VALID"
        if not ok and not failed_example:
            failed_example.append(f"{response.status_code} {response.text[:300]}")
        return ok

    failed_example: list[str] = []

    scan_s, scan_lat, scan_fail = _run(staff, jobs, scan)
    if failed_example:
        print("first failed scan:", failed_example[0])
    with topo.engine.connect() as conn:
        sold, persons = conn.execute(text("SELECT seats_sold, (SELECT coalesce(sum(persons), 0) FROM tickets "
                                          "WHERE event_id = :e) FROM events WHERE id = :e"), {"e": event_id}).one()
    assert sold == persons, (sold, persons)
    return {"orders": len(order_lat) - order_fail, "order_failures": order_fail,
            "orders_per_s": len(order_lat) / order_s,
            "order_p50_ms": percentile(order_lat, 50) * 1000, "order_p99_ms": percentile(order_lat, 99) * 1000,
            "scans": len(scan_lat) - scan_fail, "scan_failures": scan_fail, "scans_per_s": len(scan_lat) / scan_s,
            "scan_p50_ms": percentile(scan_lat, 50) * 1000, "scan_p99_ms": percentile(scan_lat, 99) * 1000}


def _print(name: str, r: dict[str, float]) -> None:
    print(f"{name:<34} orders/s {r['orders_per_s']:7.1f}  p50 {r['order_p50_ms']:6.1f} ms"
          f"  p99 {r['order_p99_ms']:7.1f} ms  ({r['orders']:.0f} ok, {r['order_failures']:.0f} failed)")
    print(f"{'':<34} scans/s  {r['scans_per_s']:7.1f}  p50 {r['scan_p50_ms']:6.1f} ms"
          f"  p99 {r['scan_p99_ms']:7.1f} ms  ({r['scans']:.0f} VALID, {r['scan_failures']:.0f} failed)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--orders", type=int, default=640)
    parser.add_argument("--workers", type=int, default=2, help="Granian workers per app process (nginx set-up)")
    args = parser.parse_args()
    env = {"RATE_LIMITS_ENABLED": "false"}
    print(f"{os.cpu_count()} CPU cores; concurrency {args.concurrency}; {args.orders} orders then as many scans")
    with tempfile.TemporaryDirectory(prefix="jo_bench_topology_") as tmp:
        empty = Path(tmp) / "static"
        empty.mkdir()
        (empty / "index.html").write_text("<html></html>")  # the API needs no frontend
        with topology(Path(tmp) / "single", workers=1, extra_env=env, reuse=(empty, free_port())) as topo:
            topo.apps[1].stop()  # one process only, called directly
            _print("single process, 1 worker, direct",
                   measure(topo, f"http://127.0.0.1:{topo.apps[0].port}", args.concurrency, args.orders))
        with topology(Path(tmp) / "nginx", workers=args.workers, extra_env=env, reuse=(empty, free_port()),
                      per_address_limits=False) as topo:
            _print(f"nginx TLS + 2 processes x {args.workers} workers",
                   measure(topo, topo.url, args.concurrency, args.orders))


if __name__ == "__main__":
    main()
