"""Live web UI benchmark (issue 12): open shop pages, fan-out of a sale to every open page, UI orders over the socket.

Run: `.venv/bin/python -m benchmarks.live_ui [--pages 1000,10000] [--client-processes 4] [--visitors 16]
      [--orders-per-visitor 20] [--workers 1] [--redis URL] [--jobs worker|in-app|off] [--no-mail] [--port N]
      [--profile FILE] [--admin-pages 100] [--gate-devices 50] [--full-hydrate]`
(`--pages ""`: the UI orders only, run twice.)

The server is the production app as `reflex run --env prod` serves it (Granian, `__REFLEX_SKIP_COMPILE`, the
websocket on), on a fresh PostgreSQL database holding the demo catalogue. The clients are raw websocket clients
(benchmarks/wsclient.py) doing what a tab does: connect with the hydrate event, re-send the chained
on_load_internal and on_load events with the page's router data, then receive.
1. pages: for each N of `--pages`, N catalogue pages (/billetterie) are opened, 50 at a time, spread over
   `--client-processes` processes; prints the time to open them, the server CPU and RSS per open page;
2. fan-out: one order through the REST API; every page waits for the event's new seats left; prints p50/p99/max
   from the API response to each page's receipt, and how many of the N pages got it;
3. the pages leave; prints the server RSS after (memory of pages that left);
4. UI orders: `--visitors` logged-in visitors, each on its own socket, loop: add a pack to the cart (session page
   handler), open the payment page (on_load_internal on /paiement), pay (the checkout page's pay handler) until the
   redirect to the order arrives. Prints orders/s, p50/p99 per order, server CPU per order, PostgreSQL CPU per
   order, and the confirmation mails' CPU apart. Mails are durable outbox jobs (services/jobs.py): `--jobs worker`
   (default, the deployment measured first) serves the web process with JOBS_IN_APP=0 and runs
   `python -m jo_app.cli worker` as a process of its own, whose CPU is reported apart; `--jobs in-app`: the web
   process's own job thread sends them (its CPU: the one thread still busy after the last order); `--jobs off`
   (or `--no-mail`): JOBS_IN_APP=0 and no worker, the mails stay queued (the order path alone).
5. staff pages (`benchmarks/live_staff.py`): `--admin-pages` logged-in admin dashboards and `--gate-devices`
   configured gate devices on the same live hub: time to open, CPU and RSS per page, push latency of one sale (to
   the dashboards) and one scan (to the devices), RSS after they left.
Pages send the compiled state hashes in their first hydrate as a browser does (`--full-hydrate`: not, so the
backend sends the full state). With `--workers 2 --redis URL`: Reflex's Redis state manager and the live relay.
CPU and memory are read from /proc (server process group, PostgreSQL backends of the database).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("BCRYPT_ROUNDS", "4")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from sqlmodel import Session, select

from benchmarks import live_staff
from benchmarks.common import percentile, temp_database
from benchmarks.http import (
    CLOCK_TICKS,
    CpuMeter,
    _cpu_seconds,
    _group_pids,
    free_port,
    http_call,
    stop_server,
    wait_until_serving,
)
from benchmarks.wsclient import Page, initial_state_hashes
from jo_app.models import Event, Role
from jo_app.services.accounts import sessions
from jo_app.services.accounts import users as accounts
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.state.catalog.stock import StockState
from jo_app.state.orders.cart import CartState
from jo_app.state.orders.checkout import CheckoutState
from jo_app.timeutil import utcnow

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PASSWORD = "Bench!Paris2024"
CARD_FORM = {"holder": "Marie Curie", "card_number": "4242424242424242", "expiry": "12/39", "cvc": "123"}
# Reflex state names as the websocket carries them (module path included), computed from the classes.
STOCK = StockState.get_full_name()
SEATS = "seats_left_rx_state_"
CART = CartState.get_full_name()
CHECKOUT = CheckoutState.get_full_name()
OPEN_CONCURRENCY = 50
JOBS_LABEL = {"worker": "job worker process (web JOBS_IN_APP=0)", "in-app": "in the web process (JOBS_IN_APP=1)",
              "off": "OFF (JOBS_IN_APP=0, no worker)"}


# --- server ----------------------------------------------------------------------------------------------------------

def _server_env(db_url: str, port: int, redis_url: str, jobs: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": db_url, "JO_ENV": "bench", "RATE_LIMITS_ENABLED": "false",
           "RATE_LIMIT_ORDERS": "1000000/minute", "LOG_LEVEL": "WARNING", "REFLEX_ENV_MODE": "prod",
           "__REFLEX_SKIP_COMPILE": "true", "APP_URL": f"http://{HOST}:{port}",
           "JOBS_IN_APP": "1" if jobs == "in-app" else "0",  # `worker`: a process of its own; `off`: none
           # a fresh states directory, as `reflex run` wipes it at each start (not the files of earlier runs)
           "REFLEX_STATES_WORKDIR": tempfile.mkdtemp(prefix="jo-bench-states-")}
    env.pop("REDIS_URL", None)
    env.pop("REFLEX_REDIS_URL", None)
    if redis_url:  # the Redis state manager (and live relay): what several workers need
        env["REDIS_URL"] = redis_url
    return env


def start_server(db_url: str, port: int, workers: int, redis_url: str = "", jobs: str = "worker") -> subprocess.Popen:
    env = _server_env(db_url, port, redis_url, jobs)
    log = tempfile.NamedTemporaryFile(prefix="jo-bench-server-", suffix=".log", delete=False)  # noqa: SIM115
    print(f"  server log: {log.name}")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--host", HOST, "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "benchmarks.live_ui_app:app"],
        # The server's log goes to a file: an undrained pipe fills up and blocks the workers on their next warning.
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    return wait_until_serving(proc, port, log.name, 90)


def start_job_worker(db_url: str, port: int) -> subprocess.Popen:
    """`python -m jo_app.cli worker` as a process of its own (its own process group: its CPU is read apart), as
    deployed next to web processes started with JOBS_IN_APP=0. Polls the outbox every second."""
    env = {**_server_env(db_url, port, "", "worker"), "JOBS_POLL_SECONDS": "1"}
    log = tempfile.NamedTemporaryFile(prefix="jo-bench-worker-", suffix=".log", delete=False)  # noqa: SIM115
    print(f"  job worker log: {log.name}")
    return subprocess.Popen([sys.executable, "-m", "jo_app.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)


def group_cpu(group: int) -> float:
    """CPU seconds used so far by the processes of a process group."""
    return sum(_cpu_seconds(pid) for pid in _group_pids(group))


def pending_jobs(engine) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM outbox_jobs WHERE status IN ('pending', 'running')"))
                   .scalar_one())


def wait_idle(meter: CpuMeter, limit: float = 180.0) -> float:
    """Wait until the server uses under 5 % of a core (queued work done); returns the seconds waited."""
    started = time.monotonic()
    previous = meter.sample()
    while time.monotonic() - started < limit:
        time.sleep(1.0)
        current = meter.sample()
        if CpuMeter.used(previous, current)["server"] < 0.05:
            break
        previous = current
    return time.monotonic() - started


def rss_mb(group: int) -> float:
    total = 0
    for pid in _group_pids(group):
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def thread_cpu(group: int) -> dict[tuple[int, int], float]:
    """CPU seconds of every thread of the server's process group, by (pid, tid)."""
    found: dict[tuple[int, int], float] = {}
    for pid in _group_pids(group):
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                found[(pid, int(tid))] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            except (OSError, IndexError, ValueError):
                continue
    return found


def ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p) * 1000:.0f} ms" if values else "-"


# --- client processes holding pages ------------------------------------------------------------------------------

def _holder(port: int, count: int, key: str, conn) -> None:
    """A client process: open `count` catalogue pages, report, record when `key`'s seats change, report, close."""
    async def main() -> None:
        pages: list[Page] = []
        first: dict[int, int] = {}
        seen: dict[int, list[tuple[float, int]]] = {}

        def on_update(page: Page, update: dict) -> None:
            seats = ((update.get("delta") or {}).get(STOCK) or {}).get(SEATS)
            if not seats or key not in seats:
                return
            first.setdefault(id(page), seats[key])
            seen.setdefault(id(page), []).append((time.time(), seats[key]))

        semaphore = asyncio.Semaphore(max(1, OPEN_CONCURRENCY // max(1, conn_count)))
        failures = 0

        async def open_one() -> None:
            nonlocal failures
            async with semaphore:
                page = Page(HOST, port, "/billetterie", on_update=on_update)
                try:
                    await page.open()
                    pages.append(page)
                except Exception:
                    failures += 1

        started = time.time()
        await asyncio.gather(*(open_one() for _ in range(count)))
        await asyncio.sleep(0.5)
        conn.send(("opened", len(pages), failures, time.time() - started, sum(1 for p in pages if id(p) in first)))
        target = await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # the new figure, after the sale
        received = [next((t for t, value in seen.get(id(page), ()) if value == target), None) for page in pages]
        conn.send(("received", [t for t in received if t is not None], len(pages)))
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "close"
        for page in pages:
            await page.close()
        await asyncio.sleep(0.5)
        conn.send(("closed",))

    asyncio.run(main())


conn_count = 1


def bench_pages(port: int, meter: CpuMeter, server: subprocess.Popen, engine, n: int, processes: int,
                token: str, event_id: int, offer_id: int) -> None:
    global conn_count
    conn_count = processes
    key = str(event_id)
    rss_before, cpu_before = rss_mb(server.pid), meter.sample()
    links = []
    started = time.time()
    shares = [n // processes + (1 if i < n % processes else 0) for i in range(processes)]
    for share in shares:
        parent, child = multiprocessing.Pipe()
        proc = multiprocessing.Process(target=_holder, args=(port, share, key, child), daemon=True)
        proc.start()
        links.append((proc, parent))
    opened = [parent.recv() for _proc, parent in links]
    elapsed = time.time() - started
    cpu = CpuMeter.used(cpu_before, meter.sample())
    rss_open = rss_mb(server.pid)
    pages = sum(o[1] for o in opened)
    failures = sum(o[2] for o in opened)
    with_figure = sum(o[4] for o in opened)
    print(f"  open {n} pages: {pages} open ({failures} failed), {with_figure} got the live figures, "
          f"{elapsed:.1f} s ({pages / max(elapsed, 1e-9):.0f} pages/s)")
    print(f"  server per open page: CPU {cpu['server'] / max(pages, 1) * 1000:.1f} ms "
          f"(+PostgreSQL {cpu['postgres'] / max(pages, 1) * 1000:.2f} ms), "
          f"RSS {(rss_open - rss_before) * 1024 / max(pages, 1):.0f} KB (server RSS {rss_before:.0f} -> "
          f"{rss_open:.0f} MB)")

    # One sale through the REST API; its response time is the start of the fan-out.
    wait_idle(meter, limit=30.0)  # (open pages answer pings: the server is never fully idle)
    cpu_before = meter.sample()
    body = {"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2039, "cvc": "123"},
            "items": [{"offer_id": offer_id, "quantity": 1}]}
    with Session(engine) as session:
        event = session.get(Event, event_id)
        target = event.capacity - event.seats_sold - 1
    token = _login(port, token)  # a fresh access token: opening 10,000 pages can outlast one
    status, answer = _post_order(port, token, body)
    sold_at = time.time()
    if status != 201:
        print(f"  fan-out: the order failed: {status} {answer}")
    time.sleep(min(30.0, 3.0 + n / 1000))
    for _proc, parent in links:
        parent.send(target)
    latencies, holders = [], 0
    for _proc, parent in links:
        _tag, times, count = parent.recv()
        latencies += [t - sold_at for t in times]
        holders += count
    cpu = CpuMeter.used(cpu_before, meter.sample())
    print(f"  fan-out to {holders} pages: {len(latencies)} updated; p50 {ms(latencies, 50)}, p99 "
          f"{ms(latencies, 99)}, max {ms(latencies, 100)}; server CPU for the push {cpu['server'] * 1000:.0f} ms")

    for _proc, parent in links:
        parent.send("close")
    for proc, parent in links:
        parent.recv()
        proc.join(timeout=30)
    time.sleep(15.0)  # jo_app.live.reclaim drops a closed page's state 5-7 s after its socket closed
    rss_15 = rss_mb(server.pid)
    time.sleep(25.0)  # engine.io frees a closed socket at its next ping (25 s); reclaim trims again 30 s after
    print(f"  after the pages left: server RSS {rss_15:.0f} MB 15 s after, {rss_mb(server.pid):.0f} MB 40 s after "
          f"(was {rss_before:.0f} MB before they opened, {rss_open:.0f} MB while open)")


_emails_by_token: dict[str, str] = {}


def _login(port: int, token: str) -> str:
    """A new access token for the account `token` was issued to (set up by `main`)."""
    email = _emails_by_token.get(token)
    if not email:
        return token
    _status, body = http_call(port, "POST", "/api/v1/auth/token", {"email": email, "password": PASSWORD})
    fresh = body.get("access_token", token)
    _emails_by_token[fresh] = email
    return fresh


def _post_scan(port: int, email: str, payload: str, event_id: int) -> tuple[int, dict]:
    """One gate scan through the REST API, by the employee `email` (logs in first: a long run outlasts a token)."""
    _status, body = http_call(port, "POST", "/api/v1/auth/token", {"email": email, "password": PASSWORD})
    return _post_json(port, body.get("access_token", ""), "/api/v1/scans",
                      {"payload": payload, "gate": "Bench lane", "event_id": event_id})


def _post_order(port: int, token: str, body: dict) -> tuple[int, dict]:
    return _post_json(port, token, "/api/v1/orders", body)


def _post_json(port: int, token: str, path: str, body: dict) -> tuple[int, dict]:
    from benchmarks.http import Connection

    async def go():
        connection = await Connection.open(HOST, port)
        try:
            headers = (f"Content-Type: application/json\r\nAuthorization: Bearer {token}\r\n"
                       f"Idempotency-Key: {uuid.uuid4().hex}\r\n").encode()
            return await connection.request("POST", path, headers, json.dumps(body).encode())
        finally:
            connection.close()

    status, raw = asyncio.run(go())
    return status, json.loads(raw) if raw else {}


# --- UI orders -----------------------------------------------------------------------------------------------------

async def _visitor(port: int, cookie: str, event_id: int, offer_id: int, orders: int, latencies: list[float],
                   errors: list[str]) -> None:
    page = Page(HOST, port, f"/billetterie/{event_id}", cookie=cookie)
    await page.open()
    for _ in range(orders):
        started = time.time()
        try:
            added = page.expect(lambda u: CART in (u.get("delta") or {}))
            page.send(f"{CART}.add", {"offer_id": offer_id, "quantity": 1, "next_path": f"/billetterie/{event_id}"})
            await asyncio.wait_for(added, 30)
            loaded = page.expect(lambda u: "lines_rx_state_" in ((u.get("delta") or {}).get(CHECKOUT) or {}))
            page.navigate("/paiement")
            await asyncio.wait_for(loaded, 30)
            paid = page.expect(lambda u: any(e.get("name") == "_redirect" for e in u.get("events") or ())
                               or bool(((u.get("delta") or {}).get(CHECKOUT) or {}).get("form_error_rx_state_")))
            page.send(f"{CHECKOUT}.pay", {"form": CARD_FORM})
            update = await asyncio.wait_for(paid, 30)
            if not any(e.get("name") == "_redirect" for e in update.get("events") or ()):
                errors.append(str(update)[:200])
            else:
                latencies.append(time.time() - started)
            page.path = f"/billetterie/{event_id}"  # back to the session page (as the visitor clicks back)
        except Exception as exc:
            errors.append(repr(exc))
    await page.close()


def wait_mails(engine, limit: float = 300.0) -> float:
    """Wait until the outbox has no pending or running job (the confirmation mails sent); returns the seconds."""
    started = time.monotonic()
    while time.monotonic() - started < limit and pending_jobs(engine):
        time.sleep(0.5)
    return time.monotonic() - started


def bench_orders(port: int, meter: CpuMeter, cookies: list[str], event_id: int, offer_id: int, per: int,
                 jobs: str = "off", worker: subprocess.Popen | None = None) -> None:
    async def main() -> tuple[float, list[float], list[str]]:
        latencies: list[float] = []
        errors: list[str] = []
        started = time.time()
        await asyncio.gather(*(_visitor(port, cookie, event_id, offer_id, per, latencies, errors)
                               for cookie in cookies))
        return time.time() - started, latencies, errors

    worker_before = group_cpu(worker.pid) if worker is not None else 0.0
    cpu_before, threads_before = meter.sample(), thread_cpu(meter.server.pid)
    clients_before = time.process_time()
    elapsed, latencies, errors = asyncio.run(main())
    clients_cpu = time.process_time() - clients_before
    cpu_orders, threads_orders = meter.sample(), thread_cpu(meter.server.pid)
    worker_orders = group_cpu(worker.pid) if worker is not None else 0.0
    drained = wait_mails(meter.engine) if jobs != "off" else 0.0  # the mails the orders queued are part of their cost
    drained += wait_idle(meter)
    cpu, threads_after = CpuMeter.used(cpu_before, meter.sample()), thread_cpu(meter.server.pid)
    worker_cpu = (group_cpu(worker.pid) - worker_before) if worker is not None else 0.0
    mail_cpu = 0.0
    if jobs == "in-app":  # the mail thread: the one thread still busy once the orders are over (the mails' backlog)
        drain = {key: cpu_s - threads_orders.get(key, 0.0) for key, cpu_s in threads_after.items()}
        mail_key = max(drain, key=drain.get, default=None)
        if mail_key is not None and drain[mail_key] > 0.2:
            mail_cpu = threads_after[mail_key] - threads_before.get(mail_key, 0.0)
    during = CpuMeter.used(cpu_before, cpu_orders)
    done = max(len(latencies), 1)
    load = os.getloadavg()
    print(f"  UI orders, {len(cookies)} visitors: {len(latencies)} paid in {elapsed:.1f} s = "
          f"{len(latencies) / elapsed:.1f} orders/s (incl. each visitor's socket open); p50 {ms(latencies, 50)}, "
          f"p99 {ms(latencies, 99)}; errors {len(errors)} {errors[:2]}; load {load[0]:.1f}")
    web = cpu["server"] - mail_cpu
    if jobs == "worker":
        during_worker = (worker_orders - worker_before) / done * 1000
        mails = f"job worker process {worker_cpu / done * 1000:.1f} ms ({during_worker:.1f} ms during the orders)"
    elif jobs == "in-app":
        mails = f"the web process's mail thread {mail_cpu / done * 1000:.1f} ms"
    else:
        mails = "no mail sent (jobs off)"
    print(f"    server CPU per order: web process {web / done * 1000:.1f} ms (during the orders only "
          f"{during['server'] / done * 1000:.1f} ms), {mails}, in all {(cpu['server'] + worker_cpu) / done * 1000:.1f} "
          f"ms (mails drained, server idle {drained:.1f} s after the last order); PostgreSQL "
          f"{during['postgres'] / done * 1000:.1f} ms during the orders, {cpu['postgres'] / done * 1000:.1f} ms in all")
    print(f"    the {len(cookies)} benchmark visitors (one client process, same cores): "
          f"{clients_cpu / done * 1000:.1f} ms of CPU per order")


# --- main ---------------------------------------------------------------------------------------------------------

def seed(engine, visitors: int, capacity: int) -> tuple[list[int], int, int, int]:
    from jo_app.tooling.demo_data import seed_demo

    with Session(engine, expire_on_commit=False) as session:
        seed_demo(session, with_accounts=False)
        users = []
        for _ in range(visitors + 1):
            user = accounts.create_user(session, email=f"bench-{uuid.uuid4().hex[:10]}@example.org",
                                        password=PASSWORD, first_name="Marie", last_name="Curie",
                                        role=Role.VISITOR, verified=True)
            users.append(int(user.id))
        session.commit()
        event_id = catalog_admin.create_event(session, None, EventInput(
            title="Athlétisme — finale 100 m (bench)", sport="Athlétisme", venue="Stade de France",
            starts_at=utcnow() + timedelta_hours(2), capacity=capacity))
        offer_id = catalog_admin.create_offer(
            session, None, OfferInput(event_id=event_id, title="Solo", offer_type="solo", price_cents=5000)
        )
        events = len(session.exec(select(Event.id)).all())
    return users, event_id, offer_id, events


def timedelta_hours(hours: int):
    from datetime import timedelta

    return timedelta(hours=hours)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", default="1000,10000", help="comma-separated page counts (default 1000,10000)")
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--visitors", type=int, default=16)
    parser.add_argument("--orders-per-visitor", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--redis", default="", metavar="URL", help="REDIS_URL for the server (Redis state manager; "
                        "needed for --workers > 1), e.g. redis://127.0.0.1:6379/5 (flushed first)")
    parser.add_argument("--jobs", choices=("worker", "in-app", "off"), default="worker",
                        help="who sends the confirmation mails (outbox jobs): a separate `jo_app.cli worker` process "
                        "(default; the web process runs with JOBS_IN_APP=0), the web process's job thread, or nobody")
    parser.add_argument("--no-mail", action="store_true", help="same as --jobs off (the order path alone)")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument("--admin-pages", type=int, default=100, help="logged-in admin dashboards (0: skip)")
    parser.add_argument("--gate-devices", type=int, default=50, help="logged-in gate devices on one event (0: skip)")
    parser.add_argument("--full-hydrate", action="store_true", help="pages do not send the compiled state hashes "
                        "(the backend sends the full state, as on a reconnect); default: as a browser's first load")
    parser.add_argument("--profile", metavar="FILE", help="py-spy the server worker during the first UI orders run "
                        "(collapsed stacks written to FILE; env BENCH_PYSPY_FLAGS replaces the default py-spy flags "
                        "`--nonblocking --gil`, e.g. `--native --gil`)")
    args = parser.parse_args()
    jobs = "off" if args.no_mail else args.jobs
    if not args.full_hydrate:
        Page.hashes = initial_state_hashes()  # inherited by the client processes (fork)
    with temp_database() as engine:
        users, event_id, offer_id, events = seed(engine, args.visitors, 200_000)
        with Session(engine) as session:
            cookies = ["jo_session=" + sessions.create_session(session, uid) for uid in users[1:]]
            session.commit()
        port = args.port or free_port()
        if args.redis:
            import redis

            redis.Redis.from_url(args.redis).flushdb()
        db_url = engine.url.render_as_string(hide_password=False)
        server = start_server(db_url, port, args.workers, args.redis, jobs)
        worker = start_job_worker(db_url, port) if jobs == "worker" else None
        try:
            meter = CpuMeter(server, engine, engine.url.database)
            _status, body = http_call(port, "POST", "/api/v1/auth/token",
                                     {"email": _email(engine, users[0]), "password": PASSWORD})
            token = body.get("access_token", "")
            _emails_by_token[token] = _email(engine, users[0])
            load = os.getloadavg()
            print(f"Live UI benchmark: Granian {args.workers} worker(s), {'Redis' if args.redis else 'disk'} state "
                  f"manager, confirmation mails: {JOBS_LABEL[jobs]}, PostgreSQL, {events} events, "
                  f"hydrate {'full' if args.full_hydrate else 'with the compiled state hashes'}, "
                  f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
                  f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (shared machine)")
            print(f"  server RSS at start {rss_mb(server.pid):.0f} MB")
            spy = _profile(server, args.profile) if args.profile else None
            bench_orders(port, meter, cookies, event_id, offer_id, args.orders_per_visitor, jobs, worker)
            if spy is not None:
                spy.send_signal(2)
                spy.wait(timeout=60)
            counts = [int(x) for x in args.pages.split(",") if x.strip()]
            for n in counts:
                print(f"pages = {n} (client processes {args.client_processes}):")
                bench_pages(port, meter, server, engine, n, args.client_processes, token, event_id, offer_id)
            if counts and (args.admin_pages or args.gate_devices):
                print("staff pages (same live hub):")
                body = {"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2039, "cvc": "123"},
                        "items": [{"offer_id": offer_id, "quantity": 1}]}
                live_staff.run(port, meter, server, engine, rss_mb,
                               lambda: _post_order(port, _login(port, token), body),
                               lambda email, payload: _post_scan(port, email, payload, event_id), event_id,
                               args.admin_pages, args.gate_devices)
            print("after the page runs:" if counts else "again:")
            bench_orders(port, meter, cookies, event_id, offer_id, args.orders_per_visitor, jobs, worker)
        finally:
            stop_server(server)
            if worker is not None:
                stop_server(worker)


def _profile(server: subprocess.Popen, path: str) -> subprocess.Popen:
    workers = [pid for pid in _group_pids(server.pid) if pid != server.pid] or [server.pid]
    spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw", "--rate", "200",
                            *os.environ.get("BENCH_PYSPY_FLAGS", "--nonblocking --gil").split(), "-o", path,
                            "--pid", str(workers[0])],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return spy


def _email(engine, user_id: int) -> str:
    from jo_app.models import User

    with Session(engine) as session:
        return session.get(User, user_id).email


if __name__ == "__main__":
    main()
