"""HTTP path benchmark on a fresh PostgreSQL database: the API served by Granian (one worker, like one app
container without Redis), 16 concurrent clients (threads, each with its own keep-alive httpx connection and its
own account and token).

Run: `.venv/bin/python -m benchmarks.http [--clients 16] [--seats 1200] [--orders-per-client 100] [--workers 1]`
1. orders: every client buys single packs with `POST /api/v1/orders` (items + card, Idempotency-Key, no
   confirmation e-mail) until it has sent its share; demand exceeds the seats, so the end of the run is sold out
   (409). Prints requests/s, paid orders/s, p50/p99, and the oversold count (seats_sold - capacity, tickets vs
   seats) which must be 0;
2. scans: 16 gate clients (employee accounts) post every ticket's QR payload twice, the two scans of a ticket
   back to back so they race on two devices: scans/s, p50/p99, and VALID verdicts per ticket (must be exactly 1).
Rate limits stay on (very high limits, so the limiter's cost is measured, not its refusals).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("BCRYPT_ROUNDS", "4")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

import httpx
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from benchmarks.common import percentile, temp_database
from jo_app.models import Event, Role, Ticket, TicketStatus
from jo_app.services import accounts, catalog
from jo_app.services.catalog_admin import EventInput, OfferInput
from jo_app.services.ticket_tokens import encode_ticket
from jo_app.timeutil import utcnow

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bench!Paris2024"
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2039, "cvc": "123"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(engine: Engine, clients: int, seats: int) -> tuple[list[str], list[str], int, int]:
    """(visitor e-mails, employee e-mails, event id, solo offer id)."""
    with Session(engine, expire_on_commit=False) as session:
        def account(role: Role) -> str:
            email = f"bench-{uuid.uuid4().hex[:10]}@example.org"
            accounts.create_user(session, email=email, password=PASSWORD, first_name="Marie", last_name="Curie",
                                 role=role, verified=True)
            return email

        visitors = [account(Role.VISITOR) for _ in range(clients)]
        staff = [account(Role.EMPLOYEE) for _ in range(clients)]
        session.commit()
        event_id = catalog.create_event(session, None, EventInput(
            title="Athletics - Men's 100m Final", sport="Athletics", venue="Stade de France",
            starts_at=utcnow() + timedelta(hours=1), capacity=seats))
        offer_id = catalog.create_offer(session, None, OfferInput(event_id=event_id, title="Solo", offer_type="solo",
                                                                   price_cents=5000))
    return visitors, staff, event_id, offer_id


def start_server(db_url: str, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db_url, "JO_ENV": "bench", "RATE_LIMIT_ORDERS": "1000000/minute",
           "RATE_LIMIT_SCANS": "1000000/minute", "RATE_LIMIT_LOGIN": "1000000/minute", "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--host", "127.0.0.1", "--port",
         str(port), "--workers", str(workers), "--no-ws", "--log-level", "warning", "benchmarks.http_app:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/keys", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start in 60 s")


def login(base: str, email: str) -> dict[str, str]:
    response = httpx.post(f"{base}/api/v1/auth/token", json={"email": email, "password": PASSWORD}, timeout=30)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def run_clients(base: str, headers: list[dict[str, str]], jobs: Callable[[int], list[tuple[str, dict, dict]]]
                ) -> tuple[float, list[tuple[float, int, dict]]]:
    """Each client i sends jobs(i) = [(path, extra headers, json)] in order. Returns (seconds, results)."""
    results: list[tuple[float, int, dict]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(headers) + 1)
    errors: list[BaseException] = []

    def client(i: int) -> None:
        mine = []
        try:
            with httpx.Client(base_url=base, headers=headers[i], timeout=60) as http:
                todo = jobs(i)
                http.get("/api/v1/keys")  # connection warm-up
                barrier.wait()
                for path, extra, body in todo:
                    start = time.perf_counter()
                    response = http.post(path, headers=extra, json=body)
                    mine.append((time.perf_counter() - start, response.status_code, response.json()))
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(headers))]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed, results


def ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p) * 1000:.1f} ms" if values else "-"


def bench_orders(base: str, engine: Engine, visitors: list[dict[str, str]], event_id: int, offer_id: int,
                 per_client: int) -> None:
    body = {"card": CARD, "items": [{"offer_id": offer_id, "quantity": 1}], "send_confirmation": False}

    def jobs(_i: int) -> list[tuple[str, dict, dict]]:
        return [("/api/v1/orders", {"Idempotency-Key": uuid.uuid4().hex}, body) for _ in range(per_client)]

    elapsed, results = run_clients(base, visitors, jobs)
    statuses = Counter(status for _, status, _ in results)
    paid = [lat for lat, status, _ in results if status == 201]
    with Session(engine) as session:
        event = session.get(Event, event_id)
        tickets = session.exec(select(func.count()).select_from(Ticket).where(Ticket.event_id == event_id)).one()
        oversold = max(0, event.seats_sold - event.capacity) + max(0, tickets - event.capacity)
        print(f"POST /api/v1/orders  clients={len(visitors)} requests={len(results)} in {elapsed:.2f} s")
        print(f"  requests/s {len(results) / elapsed:.1f}   paid orders/s {len(paid) / elapsed:.1f}   "
              f"statuses {dict(sorted(statuses.items()))}")
        print(f"  latency all p50 {ms([r[0] for r in results], 50)} p99 {ms([r[0] for r in results], 99)}   "
              f"paid p50 {ms(paid, 50)} p99 {ms(paid, 99)}")
        print(f"  seats {event.seats_sold}/{event.capacity}, tickets {tickets}, OVERSOLD {oversold}")


def bench_scans(base: str, engine: Engine, staff: list[dict[str, str]], event_id: int) -> None:
    with Session(engine, expire_on_commit=False) as session:
        tickets = session.exec(select(Ticket).where(Ticket.event_id == event_id).order_by(Ticket.id)).all()
        payloads = {t.id: t.qr_payload or encode_ticket(session, t) for t in tickets}
        session.execute(update(Ticket), [{"id": i, "qr_payload": p} for i, p in payloads.items()])
        session.commit()
    queue = [p for p in payloads.values() for _ in range(2)]  # each ticket twice, back to back: a race
    cursor = iter(queue)
    lock = threading.Lock()

    def jobs(i: int) -> list[tuple[str, dict, dict]]:
        return LazyJobs(cursor, lock, event_id, i)  # type: ignore[return-value]

    elapsed, results = run_clients(base, staff, jobs)
    verdicts = Counter(r[2].get("verdict") for r in results)
    valid_per_ticket = Counter(r[2]["ticket_id"] for r in results if r[2].get("verdict") == "VALID")
    distribution = Counter(valid_per_ticket.get(t, 0) for t in payloads)
    latencies = [r[0] for r in results]
    with Session(engine) as session:
        used = session.exec(select(func.count()).select_from(Ticket).where(
            Ticket.event_id == event_id, Ticket.status == TicketStatus.USED.value)).one()
    print(f"POST /api/v1/scans   clients={len(staff)} scans={len(results)} ({len(payloads)} tickets x 2) "
          f"in {elapsed:.2f} s")
    print(f"  scans/s {len(results) / elapsed:.1f}   p50 {ms(latencies, 50)} p99 {ms(latencies, 99)}   "
          f"verdicts {dict(sorted(verdicts.items()))}")
    print(f"  VALID per ticket: {dict(sorted(distribution.items()))} (tickets by number of VALID; must all be 1)"
          f"   tickets used in DB {used}/{len(payloads)}")


class LazyJobs:
    """A shared work queue seen by each client as an iterable of jobs (clients pull the next scan when free)."""

    def __init__(self, cursor, lock: threading.Lock, event_id: int, lane: int) -> None:
        self.cursor, self.lock, self.event_id, self.lane = cursor, lock, event_id, lane

    def __iter__(self):
        while True:
            with self.lock:
                payload = next(self.cursor, None)
            if payload is None:
                return
            yield "/api/v1/scans", {}, {"payload": payload, "gate": f"Lane {self.lane}", "event_id": self.event_id}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seats", type=int, default=1200)
    parser.add_argument("--orders-per-client", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with temp_database(prefix="jo_bench_http") as engine:
        db_url = engine.url.render_as_string(hide_password=False)
        visitors, staff, event_id, offer_id = seed(engine, args.clients, args.seats)
        port = free_port()
        server = start_server(db_url, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            print(f"HTTP benchmark: Granian {args.workers} worker(s), PostgreSQL, {args.clients} clients")
            visitor_headers = [login(base, e) for e in visitors]
            staff_headers = [login(base, e) for e in staff]
            bench_orders(base, engine, visitor_headers, event_id, offer_id, args.orders_per_client)
            bench_scans(base, engine, staff_headers, event_id)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
