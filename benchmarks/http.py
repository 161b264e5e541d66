"""HTTP path benchmark on a fresh PostgreSQL database: the API served by Granian, 16 concurrent clients, each
its own keep-alive HTTP/1.1 connection, account and access token.

Run: `.venv/bin/python -m benchmarks.http [--clients 16] [--seats 1200] [--orders-per-client 100] [--workers 2]
      [--client-processes 1] [--pollers 0] [--orders-mode both|items|hold]`
1. orders: every client buys single packs with `POST /api/v1/orders` (items + card, Idempotency-Key, no
   confirmation e-mail) until it has sent its share; demand exceeds the seats, so the end of the run is sold out
   (409). Prints requests/s, paid orders/s, p50/p99, and the oversold count (seats_sold - capacity, tickets vs
   seats) which must be 0;
1b. hold + pay (`--orders-mode hold` or `both`, on a second event with as many seats): every client adds one solo
   pack to its cart (`POST /api/v1/cart/items`, which holds the seat) then pays the cart (`POST /api/v1/orders`
   without items); paid orders/s counts the 201s (each one two requests), sold out at the end (422 / 409);
   checks that no seat is oversold nor left held.
2. scans: 16 gate clients (employee accounts) post every ticket's QR payload twice, the two scans of a ticket
   back to back so they race on two devices: scans/s, p50/p99, and VALID verdicts per ticket (must be exactly 1).
   With `--pollers N`, N more gate clients poll `GET /api/v1/revocations` meanwhile (read-only requests whose
   database sessions end with a rollback, on the same pooled connections as the scans).
Rate limits stay on (very high limits, so the limiter's cost is measured, not its refusals).

The clients are asyncio connections speaking plain HTTP/1.1 (a request is one write, a response is parsed from
the status line, Content-Length or chunks): on two shared cores a thread + httpx per client costs about 1 ms of
CPU per request, which the server then cannot use. With `--client-processes N` the 16 connections are spread over
N processes. Each phase also prints the CPU time used per request by the server (Granian and its workers), by the
PostgreSQL backends of the benchmark database and by the clients, read from /proc: on a shared machine these are
steadier than throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("BCRYPT_ROUNDS", "4")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from sqlalchemy import func, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from benchmarks.common import percentile, temp_database
from jo_app.models import Event, Role, Ticket, TicketStatus
from jo_app.services.accounts import users
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.services.tickets.tokens import encode_ticket
from jo_app.timeutil import utcnow

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bench!Paris2024"
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2039, "cvc": "123"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PHASE_TIMEOUT = 300.0  # seconds: a stuck server fails the run instead of hanging it


# --- A minimal HTTP/1.1 keep-alive client ----------------------------------------------------------------------------

class HttpError(Exception):
    pass


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; `request()` sends one request and waits for its whole response."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.closed: BaseException | None = None

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        loop = asyncio.get_running_loop()
        _transport, connection = await loop.create_connection(cls, host, port)
        sock = connection.transport.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.closed = exc or HttpError("connection closed by the server")
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(self.closed)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is not None and not self.waiter.done():
            parsed = self._parse()
            if parsed is not None:
                self.waiter.set_result(parsed)

    def _parse(self) -> tuple[int, bytes] | None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if "content-length" in headers:
            stop = start + int(headers["content-length"])
            if len(self.buffer) < stop:
                return None
            body = bytes(self.buffer[start:stop])
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks, cursor = [], start
            while True:
                line_end = self.buffer.find(b"\r\n", cursor)
                if line_end < 0:
                    return None
                size = int(bytes(self.buffer[cursor:line_end]).split(b";")[0], 16)
                if len(self.buffer) < line_end + 2 + size + 2:
                    return None
                chunks.append(bytes(self.buffer[line_end + 2:line_end + 2 + size]))
                cursor = line_end + 2 + size + 2
                if size == 0:
                    break
            body, stop = b"".join(chunks), cursor
        else:
            raise HttpError(f"response without length (status {status})")
        del self.buffer[:stop]
        return status, body

    async def request(self, method: str, path: str, headers: bytes, body: bytes = b"") -> tuple[int, bytes]:
        """`headers`: pre-encoded `Name: value\\r\\n` lines."""
        if self.closed is not None:
            raise self.closed
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(b"%s %s HTTP/1.1\r\nHost: bench\r\n%sContent-Length: %d\r\n\r\n%s"
                             % (method.encode(), path.encode(), headers, len(body), body))
        return await self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


# --- Clients (in this process or in child processes) ---------------------------------------------------------------

@dataclass
class Lane:
    """One client: its connection's credentials and its work."""

    token: str
    jobs: list[tuple[str, dict[str, str], bytes]]  # (path, extra headers, JSON body)
    poller: bool = False  # GET its one job's path again and again until the other lanes are done


Results = tuple[list[tuple[float, int, bytes]], list[tuple[float, int]]]  # (requests, polls)


async def _run_lanes(port: int, lanes: list[Lane], start_at: float) -> Results:
    connections = [await Connection.open("127.0.0.1", port) for _ in lanes]
    for connection, lane in zip(connections, lanes, strict=True):  # warm-up (and check the token works)
        status, body = await connection.request("GET", "/api/v1/auth/me", _headers(lane.token, {}))
        if status != 200:
            raise HttpError(f"warm-up: {status} {body[:200]!r}")
    await asyncio.sleep(max(0.0, start_at - time.time()))
    results: list[tuple[float, int, bytes]] = []
    polls: list[tuple[float, int]] = []
    done = asyncio.Event()

    async def client(connection: Connection, lane: Lane) -> None:
        for path, extra, body in lane.jobs:
            started = time.perf_counter()
            status, answer = await connection.request("POST", path, _headers(lane.token, extra), body)
            results.append((time.perf_counter() - started, status, answer))

    async def poller(connection: Connection, lane: Lane) -> None:
        path, extra, _body = lane.jobs[0]
        while not done.is_set():
            started = time.perf_counter()
            status, _answer = await connection.request("GET", path, _headers(lane.token, extra))
            polls.append((time.perf_counter() - started, status))

    async def main_lanes() -> None:
        await asyncio.gather(*(client(c, lane) for c, lane in zip(connections, lanes, strict=True) if not lane.poller))
        done.set()

    pollers = [poller(c, lane) for c, lane in zip(connections, lanes, strict=True) if lane.poller]
    try:
        await asyncio.wait_for(asyncio.gather(main_lanes(), *pollers), PHASE_TIMEOUT)
    except TimeoutError:
        raise HttpError(f"no end after {PHASE_TIMEOUT} s ({len(results)} responses): server stuck?") from None
    for connection in connections:
        connection.close()
    return results, polls


def _headers(token: str, extra: dict[str, str]) -> bytes:
    lines = [f"Authorization: Bearer {token}", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in extra.items()]
    return ("\r\n".join(lines) + "\r\n").encode()


def _child(port: int, lanes: list[Lane], start_at: float, out) -> None:
    try:
        results = asyncio.run(_run_lanes(port, lanes, start_at))
        cpu = time.process_time()
        out.send(("ok", results, cpu))  # (requests, polls)
    except BaseException as exc:  # report, the parent raises
        out.send(("error", repr(exc), 0.0))
    finally:
        out.close()


def run_clients(port: int, lanes: list[Lane], processes: int) -> tuple[float, Results, float]:
    """Run every lane (one connection each) concurrently. Returns (seconds, (results, polls), client CPU seconds)."""
    start_at = time.time() + 1.0 + 0.3 * processes
    if processes <= 1:
        cpu_before = time.process_time()
        results = asyncio.run(_run_lanes(port, lanes, start_at))
        return time.time() - start_at, results, time.process_time() - cpu_before
    context = multiprocessing.get_context("fork")
    children = []
    for index in range(processes):
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(port, lanes[index::processes], start_at, sender))
        child.start()
        sender.close()
        children.append((child, receiver))
    results: list[tuple[float, int, bytes]] = []
    polls: list[tuple[float, int]] = []
    cpu, errors = 0.0, []
    for child, receiver in children:
        kind, payload, child_cpu = receiver.recv()
        child.join()
        if kind == "error":
            errors.append(payload)
        else:
            results.extend(payload[0])
            polls.extend(payload[1])
            cpu += child_cpu
    elapsed = time.time() - start_at
    if errors:
        raise HttpError(f"client process failed: {errors[0]}")
    return elapsed, (results, polls), cpu


# --- CPU accounting from /proc ---------------------------------------------------------------------------------------

def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


def _group_pids(group: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                if int(fields[2]) == group:  # process group id
                    pids.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return pids


class CpuMeter:
    """CPU seconds used by the server's process group and by the PostgreSQL backends of the benchmark database."""

    def __init__(self, server: subprocess.Popen, engine: Engine, database: str) -> None:
        self.server, self.engine, self.database = server, engine, database

    def _backends(self) -> list[int]:
        with self.engine.connect() as conn:
            return list(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> "
                                          "pg_backend_pid()"), {"d": self.database}).scalars())

    def sample(self) -> dict[str, dict[int, float]]:
        return {"server": {p: _cpu_seconds(p) for p in _group_pids(self.server.pid)},
                "postgres": {p: _cpu_seconds(p) for p in self._backends()}}

    @staticmethod
    def used(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
        # Processes that ended in between are missed (none should: Granian workers and pooled backends stay).
        return {kind: sum(cpu - before[kind].get(pid, 0.0) for pid, cpu in after[kind].items()) for kind in after}


def cpu_line(used: dict[str, float], client_cpu: float, requests: int) -> str:
    per = {kind: seconds / max(1, requests) * 1000 for kind, seconds in used.items()}
    return (f"  CPU per request: server {per['server']:.2f} ms, PostgreSQL {per['postgres']:.2f} ms, "
            f"clients {client_cpu / max(1, requests) * 1000:.2f} ms")


# --- Scenario --------------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(engine: Engine, clients: int, seats: int, pollers: int = 0) -> tuple[list[str], list[str], int, int]:
    """(visitor e-mails, employee e-mails (`clients` + `pollers`), event id, solo offer id)."""
    with Session(engine, expire_on_commit=False) as session:
        def account(role: Role) -> str:
            email = f"bench-{uuid.uuid4().hex[:10]}@example.org"
            users.create_user(session, email=email, password=PASSWORD, first_name="Marie", last_name="Curie",
                              role=role, verified=True)
            return email

        visitors = [account(Role.VISITOR) for _ in range(clients)]
        staff = [account(Role.EMPLOYEE) for _ in range(clients + pollers)]
        session.commit()
        event_id = catalog_admin.create_event(session, None, EventInput(
            title="Athletics - Men's 100m Final", sport="Athletics", venue="Stade de France",
            starts_at=utcnow() + timedelta(hours=1), capacity=seats))
        offer_id = catalog_admin.create_offer(
            session, None, OfferInput(event_id=event_id, title="Solo", offer_type="solo", price_cents=5000)
        )
    return visitors, staff, event_id, offer_id


def start_server(db_url: str, port: int, workers: int, granian_args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db_url, "JO_ENV": "bench", "RATE_LIMIT_ORDERS": "1000000/minute",
           "RATE_LIMIT_SCANS": "1000000/minute", "RATE_LIMIT_LOGIN": "1000000/minute", "LOG_LEVEL": "WARNING",
           "REFLEX_ENV_MODE": "prod", "__REFLEX_SKIP_COMPILE": "true"}  # as `reflex run --env prod` runs it
    env.pop("REDIS_URL", None)
    log = tempfile.NamedTemporaryFile(prefix="jo-bench-http-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--host", "127.0.0.1", "--port",
         str(port), "--workers", str(workers), "--no-ws", "--log-level", "warning", *granian_args,
         "benchmarks.http_app:app"],
        # The server's log goes to a file (printed path): a pipe nobody reads fills up and blocks its workers.
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    print(f"  server log: {log.name}")
    return wait_until_serving(proc, port, log.name, 60)


def wait_until_serving(proc: subprocess.Popen, port: int, log_path: str, seconds: float) -> subprocess.Popen:
    """`proc` once its API answers on `port` (its log's tail in the error when it exits or stays silent)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {Path(log_path).read_text()[-2000:]}")
        try:
            if http_call(port, "GET", "/api/v1/keys")[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"server did not start in {seconds:.0f} s")


def stop_server(server: subprocess.Popen) -> None:
    """Stop Granian and its workers: the whole process group, so that no worker outlives the run."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _group_pids(server.pid):
            time.sleep(0.1)
            server.poll()
        if not _group_pids(server.pid):
            break
    server.wait(timeout=5)


def http_call(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """One request on a fresh connection (set-up only, not measured)."""
    async def go() -> tuple[int, bytes]:
        connection = await Connection.open("127.0.0.1", port)
        try:
            payload = json.dumps(body).encode() if body is not None else b""
            return await connection.request(method, path, b"Content-Type: application/json\r\n", payload)
        finally:
            connection.close()

    status, answer = asyncio.run(go())
    return status, json.loads(answer) if answer else {}


def login(port: int, email: str) -> str:
    status, body = http_call(port, "POST", "/api/v1/auth/token", {"email": email, "password": PASSWORD})
    if status != 200:
        raise RuntimeError(f"login failed: {status} {body}")
    return body["access_token"]


def ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p) * 1000:.1f} ms" if values else "-"


def bench_orders(port: int, engine: Engine, meter: CpuMeter, tokens: list[str], event_id: int, offer_id: int,
                 per_client: int, processes: int) -> None:
    body = json.dumps({"card": CARD, "items": [{"offer_id": offer_id, "quantity": 1}],
                       "send_confirmation": False}).encode()
    lanes = [Lane(token, [("/api/v1/orders", {"Idempotency-Key": uuid.uuid4().hex}, body)
                          for _ in range(per_client)]) for token in tokens]
    before = meter.sample()
    elapsed, (results, _polls), client_cpu = run_clients(port, lanes, processes)
    used = meter.used(before, meter.sample())
    statuses = Counter(status for _, status, _ in results)
    paid = [lat for lat, status, _ in results if status == 201]
    with Session(engine) as session:
        event = session.get(Event, event_id)
        tickets = session.exec(select(func.count()).select_from(Ticket).where(Ticket.event_id == event_id)).one()
        oversold = max(0, event.seats_sold - event.capacity) + max(0, tickets - event.capacity)
        print(f"POST /api/v1/orders  clients={len(tokens)} requests={len(results)} in {elapsed:.2f} s")
        print(f"  requests/s {len(results) / elapsed:.1f}   paid orders/s {len(paid) / elapsed:.1f}   "
              f"statuses {dict(sorted(statuses.items()))}")
        print(f"  latency all p50 {ms([r[0] for r in results], 50)} p99 {ms([r[0] for r in results], 99)}   "
              f"paid p50 {ms(paid, 50)} p99 {ms(paid, 99)}")
        print(f"  seats {event.seats_sold}/{event.capacity}, tickets {tickets}, OVERSOLD {oversold}")
    print(cpu_line(used, client_cpu, len(results)))


def bench_hold_orders(port: int, engine: Engine, meter: CpuMeter, tokens: list[str], event_id: int, offer_id: int,
                      per_client: int, processes: int) -> None:
    add = json.dumps({"offer_id": offer_id, "quantity": 1}).encode()
    pay = json.dumps({"card": CARD, "send_confirmation": False}).encode()
    lanes = [Lane(token, [job for _ in range(per_client) for job in (
        ("/api/v1/cart/items", {}, add), ("/api/v1/orders", {"Idempotency-Key": uuid.uuid4().hex}, pay))])
        for token in tokens]
    before = meter.sample()
    elapsed, (results, _polls), client_cpu = run_clients(port, lanes, processes)
    used = meter.used(before, meter.sample())
    statuses = Counter(status for _, status, _ in results)
    paid = statuses.get(201, 0)
    with Session(engine) as session:
        event = session.get(Event, event_id)
        tickets = session.exec(select(func.count()).select_from(Ticket).where(Ticket.event_id == event_id)).one()
        oversold = max(0, event.seats_sold + event.seats_held - event.capacity) + abs(tickets - event.seats_sold)
        print(f"hold + pay (POST /api/v1/cart/items then POST /api/v1/orders)  clients={len(tokens)} "
              f"requests={len(results)} in {elapsed:.2f} s")
        print(f"  requests/s {len(results) / elapsed:.1f}   paid orders/s {paid / elapsed:.1f}   "
              f"statuses {dict(sorted(statuses.items()))}")
        print(f"  latency per request p50 {ms([r[0] for r in results], 50)} p99 {ms([r[0] for r in results], 99)}")
        print(f"  seats sold {event.seats_sold} + held {event.seats_held} / {event.capacity}, tickets {tickets}, "
              f"OVERSOLD {oversold}")
    print(cpu_line(used, client_cpu, len(results)))


def _deal(queue: list[str], lanes: int) -> Iterator[list[str]]:
    """Split the scans between the clients like a shared queue would: scan k goes to client k mod lanes, so the two
    scans of a ticket (k, k+1) race on two clients at about the same time."""
    for lane in range(lanes):
        yield queue[lane::lanes]


def bench_scans(port: int, engine: Engine, meter: CpuMeter, tokens: list[str], event_id: int,
                processes: int, poller_tokens: list[str]) -> None:
    with Session(engine, expire_on_commit=False) as session:
        tickets = session.exec(select(Ticket).where(Ticket.event_id == event_id).order_by(Ticket.id)).all()
        payloads = {t.id: t.qr_payload or encode_ticket(session, t) for t in tickets}
        session.execute(update(Ticket), [{"id": i, "qr_payload": p} for i, p in payloads.items()])
        session.commit()
    queue = [p for p in payloads.values() for _ in range(2)]  # each ticket twice, back to back: a race
    lanes = [Lane(token, [("/api/v1/scans", {}, json.dumps({"payload": p, "gate": f"Lane {i}",
                                                              "event_id": event_id}).encode()) for p in mine])
             for i, (token, mine) in enumerate(zip(tokens, _deal(queue, len(tokens)), strict=True))]
    lanes += [Lane(token, [(f"/api/v1/revocations?event_id={event_id}", {}, b"")], poller=True)
              for token in poller_tokens]
    before = meter.sample()
    elapsed, (raw, polls), client_cpu = run_clients(port, lanes, processes)
    used = meter.used(before, meter.sample())
    results = [(lat, status, json.loads(body)) for lat, status, body in raw]
    verdicts = Counter(r[2].get("verdict") for r in results)
    valid_per_ticket = Counter(r[2]["ticket_id"] for r in results if r[2].get("verdict") == "VALID")
    distribution = Counter(valid_per_ticket.get(t, 0) for t in payloads)
    latencies = [r[0] for r in results]
    with Session(engine) as session:
        used_tickets = session.exec(select(func.count()).select_from(Ticket).where(
            Ticket.event_id == event_id, Ticket.status == TicketStatus.USED.value)).one()
    print(f"POST /api/v1/scans   clients={len(tokens)} scans={len(results)} ({len(payloads)} tickets x 2) "
          f"in {elapsed:.2f} s")
    print(f"  scans/s {len(results) / elapsed:.1f}   p50 {ms(latencies, 50)} p99 {ms(latencies, 99)}   "
          f"verdicts {dict(sorted(verdicts.items()))}")
    print(f"  VALID per ticket: {dict(sorted(distribution.items()))} (tickets by number of VALID; must all be 1)"
          f"   tickets used in DB {used_tickets}/{len(payloads)}")
    if polls:
        poll_statuses = dict(Counter(status for _, status in polls))
        print(f"  + {len(poller_tokens)} pollers: GET /api/v1/revocations {len(polls)} times "
              f"({len(polls) / elapsed:.1f}/s, statuses {poll_statuses}, p99 {ms([p[0] for p in polls], 99)}); "
              "the CPU per scan below includes them")
    print(cpu_line(used, client_cpu, len(results)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections (one account each)")
    parser.add_argument("--seats", type=int, default=1200)
    parser.add_argument("--orders-per-client", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="Granian workers (the container default is 2)")
    parser.add_argument("--client-processes", type=int, default=1, help="spread the connections over N processes")
    parser.add_argument("--pollers", type=int, default=0,
                        help="extra gate clients polling GET /api/v1/revocations during the scans (read-only "
                             "requests on the same server, as offline scanners refresh their block lists)")
    parser.add_argument("--orders-mode", choices=("both", "items", "hold"), default="both",
                        help="items: direct orders; hold: add to cart (seat hold) then pay the cart; both")
    parser.add_argument("--granian-arg", action="append", default=[], metavar="ARG",
                        help="extra Granian option, e.g. --granian-arg=--loop=uvloop (repeatable)")
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: any free one)")
    args = parser.parse_args()
    with temp_database(prefix="jo_bench_http") as engine:
        db_url = engine.url.render_as_string(hide_password=False)
        visitors, staff, event_id, offer_id = seed(engine, args.clients, args.seats, pollers=args.pollers)
        port = args.port or free_port()
        server = start_server(db_url, port, args.workers, args.granian_arg)
        meter = CpuMeter(server, engine, engine.url.database)
        try:
            print(f"HTTP benchmark: Granian {args.workers} worker(s) {' '.join(args.granian_arg)}, PostgreSQL, "
                  f"{args.clients} clients (keep-alive HTTP/1.1 connections, {args.client_processes} client "
                  f"process(es))")
            visitor_tokens = [login(port, e) for e in visitors]
            staff_tokens = [login(port, e) for e in staff]
            if args.orders_mode in ("both", "items"):
                bench_orders(port, engine, meter, visitor_tokens, event_id, offer_id, args.orders_per_client,
                             args.client_processes)
            if args.orders_mode in ("both", "hold"):
                with Session(engine) as session:
                    hold_event = catalog_admin.create_event(session, None, EventInput(
                        title="Swimming - Women's 100m Final", sport="Swimming", venue="Paris La Défense Arena",
                        starts_at=utcnow() + timedelta(hours=1), capacity=args.seats))
                    hold_offer = catalog_admin.create_offer(session, None, OfferInput(
                        event_id=hold_event, title="Solo", offer_type="solo", price_cents=5000))
                bench_hold_orders(port, engine, meter, visitor_tokens, hold_event, hold_offer,
                                  args.orders_per_client, args.client_processes)
            bench_scans(port, engine, meter, staff_tokens[:args.clients], event_id, args.client_processes,
                        staff_tokens[args.clients:])
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
