"""Live waiting room on one server process: N waiting websocket pages, the cost of a queue tick, admission latency.

Run: `.venv/bin/python -m benchmarks.waiting_room_live [--clients 20000] [--client-processes 4] [--batch 500]
                                                     [--port N]`

The server is the production app on one Granian worker (benchmarks.live_ui.start_server) and a fresh PostgreSQL
database. N accounts already hold places 1..N of an opened, paused on-sale (inserted in bulk). The clients are raw
websocket pages (benchmarks/wsclient.py), spread over `--client-processes` processes, each doing what a browser tab
of /file-attente/<id> does: hydrate, run the page's on_load (its place, and joining the on-sale's live room), then
receive the broadcasts; when a broadcast shows its place let in, it sends `QueueState.admit` (what the page's
invisible trigger does) and waits for the redirect to the shop.
1. open the N pages: time, server RSS and CPU per waiting page;
2. idle (paused, nothing moves) for `--window` seconds: the server CPU baseline (socket pings);
3. ticks: 1 admission per second for `--window` seconds (places without a page): one broadcast per tick to the
   N pages; prints server CPU
   per tick above the baseline, and how long each page took to receive each tick (from the tick's commit);
4. a batch: `--batch` admissions in one tick: each let-in page asks for its pass and is redirected, then opens the
   shop as the browser does (the shop page's on_load); prints the time from the tick's commit to each page having
   its redirect, and to the shop page's data (p50/p99/max), and the server CPU per admission.
CPU and memory are read from /proc (the server's process group and the PostgreSQL backends of the database).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import secrets
import subprocess
import tempfile
import time
from datetime import timedelta

os.environ.setdefault("BCRYPT_ROUNDS", "4")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from sqlalchemy import insert, update
from sqlmodel import Session

from benchmarks.common import make_event, percentile, temp_database
from benchmarks.http import CpuMeter, _group_pids, free_port, stop_server
from benchmarks.live_ui import HOST, rss_mb, wait_idle
from benchmarks.waiting_room import seed_users
from benchmarks.wsclient import Page
from jo_app.models import OnSale, QueueEntry, UserSession
from jo_app.services.accounts.sessions import hash_token
from jo_app.services.orders import onsales
from jo_app.state.catalog.shop import EventPageState, ShopState
from jo_app.state.orders.queue import QueueState
from jo_app.state.orders.queue_live import QueueLiveState
from jo_app.timeutil import utcnow

# Reflex state names as the websocket carries them (module path included), computed from the classes.
QUEUE = QueueState.get_full_name()
SHOP, SESSION_PAGE = ShopState.get_full_name(), EventPageState.get_full_name()
LIVE = QueueLiveState.get_full_name()
F = "_rx_state_"
OPEN_CONCURRENCY = 48


def _holder(port: int, onsale_id: int, cookies: list[str], share: int, conn) -> None:
    """A client process holding `cookies` waiting pages; answers the orchestrator's commands."""
    async def main() -> None:
        pages: list[Page] = []
        place: dict[int, int] = {}
        boards: list[tuple[float, float, int]] = []  # (received at, tick time, admitted through)
        admitted_at: dict[int, float] = {}  # page -> tick time of the board that let it in
        shop: list[float] = []  # admission-to-redirect latencies
        shown: dict[int, float] = {}  # page -> admission to the shop page's data (its on_load answered)
        path = f"/file-attente/{onsale_id}"

        def on_update(page: Page, update: dict) -> None:
            delta = update.get("delta") or {}
            mine = delta.get(QUEUE) or {}
            if mine.get("position" + F):
                place[id(page)] = mine["position" + F]
            live = delta.get(LIVE) or {}
            if "admitted_through" + F in live:
                through, ticked = live["admitted_through" + F], live["ticked_at" + F]
                boards.append((time.time(), ticked, through))
                own = place.get(id(page), 0)
                if 0 < own <= through and id(page) not in admitted_at:
                    admitted_at[id(page)] = ticked
                    page.send(f"{QUEUE}.admit")
            redirect = next((e for e in update.get("events") or () if e.get("name") == "_redirect"), None)
            if redirect is not None and id(page) in admitted_at:
                shop.append(time.time() - admitted_at[id(page)])
                page.navigate((redirect.get("payload") or {}).get("path") or "/billetterie")  # as the browser does
            elif id(page) in admitted_at and id(page) not in shown and (SHOP in delta or SESSION_PAGE in delta):
                shown[id(page)] = time.time() - admitted_at[id(page)]  # the shop's own data: the page shows it

        semaphore = asyncio.Semaphore(max(1, OPEN_CONCURRENCY // share))
        failures = 0

        async def open_one(cookie: str) -> None:
            nonlocal failures
            async with semaphore:
                page = Page(HOST, port, path, cookie=cookie, on_update=on_update)
                try:
                    await page.open(timeout=120)
                    pages.append(page)
                except Exception:
                    failures += 1

        started = time.time()
        await asyncio.gather(*(open_one(c) for c in cookies))
        await asyncio.sleep(1.0)
        conn.send(("opened", len(pages), failures, time.time() - started, sum(1 for p in pages if id(p) in place)))
        loop = asyncio.get_running_loop()
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command == "boards":
                conn.send((list(boards), sum(1 for p in pages if not p.closed)))
                boards.clear()
            elif command == "shop":
                conn.send((list(shop), len(admitted_at), list(shown.values())))
                shop.clear()
            else:
                break
        for page in pages:
            await page.close()
        conn.send(("closed",))

    asyncio.run(main())


PHANTOMS = 100  # places 1..100 belong to visitors whose page is closed: step 3's ticks let them in, no page's admit


def start_server(db_url: str, port: int, log_path: str) -> subprocess.Popen:
    """`benchmarks.live_ui.start_server`, with the server's stderr in a file: a pipe nobody reads fills up under
    thousands of pages' warnings and then blocks the server's event loop in its logging call."""
    from benchmarks import live_ui

    with open(log_path, "wb") as log:
        real_popen = subprocess.Popen

        def popen(*args, **kwargs):
            kwargs["stderr"] = log
            return real_popen(*args, **kwargs)

        live_ui.subprocess.Popen = popen
        try:
            return live_ui.start_server(db_url, port, 1)
        finally:
            live_ui.subprocess.Popen = real_popen


def seed(engine, clients: int) -> tuple[int, list[str]]:
    """An opened, paused on-sale: places 1..PHANTOMS held by accounts without a page, then one place per client
    page; the pages' session cookies."""
    with Session(engine) as s:
        event = make_event(s, capacity=1_000_000, starts_at=utcnow() + timedelta(days=30))
        s.commit()
        onsale_id = onsales.create_onsale(s, None, onsales.OnSaleInput(
            name="Bench", opens_at=utcnow() - timedelta(minutes=1), rate_per_minute=60, event_ids=(event.id,)))
    phantoms = seed_users(engine, PHANTOMS)
    users = seed_users(engine, clients)
    tokens = [secrets.token_urlsafe(24) for _ in users]
    now = utcnow()
    with Session(engine) as s:
        s.execute(insert(QueueEntry), [{"onsale_id": onsale_id, "user_id": uid, "joined_at": now, "position": i + 1}
                                       for i, uid in enumerate(phantoms)])
        for start in range(0, clients, 5000):
            s.execute(insert(UserSession), [
                {"user_id": uid, "token_hash": hash_token(tok), "created_at": now, "last_seen_at": now,
                 "expires_at": now + timedelta(days=1)} for uid, tok in zip(users[start:start + 5000],
                                                                           tokens[start:start + 5000], strict=True)])
            s.execute(insert(QueueEntry), [
                {"onsale_id": onsale_id, "user_id": uid, "joined_at": now, "position": PHANTOMS + start + i + 1}
                for i, uid in enumerate(users[start:start + 5000])])
        s.execute(update(OnSale).where(OnSale.id == onsale_id).values(
            opened_at=now, last_tick_at=now, next_position=PHANTOMS + clients + 1, paused=True))
        s.commit()
    return onsale_id, ["jo_session=" + t for t in tokens]


def open_files(group: int) -> tuple[int, int]:
    """The most open files of one process of the server's group, and that process's limit (`ulimit -n`): each
    waiting page holds one socket of the worker process."""
    most, limit = 0, 0
    for pid in _group_pids(group):
        try:
            count = len(os.listdir(f"/proc/{pid}/fd"))
            with open(f"/proc/{pid}/limits") as limits:
                soft = next(int(line.split()[3]) for line in limits if line.startswith("Max open files"))
        except (OSError, StopIteration, ValueError):
            continue
        if count > most:
            most, limit = count, soft
    return most, limit


def _ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p) * 1000:.0f} ms" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--window", type=float, default=15.0, help="seconds of the idle and ticking windows")
    parser.add_argument("--batch", type=int, default=500, help="pages let in by one tick in step 4")
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: any free one)")
    args = parser.parse_args()
    with temp_database() as engine:
        onsale_id, cookies = seed(engine, args.clients)
        port = args.port or free_port()
        log_path = os.path.join(tempfile.gettempdir(), f"waiting-room-live-{port}.log")
        server = start_server(engine.url.render_as_string(hide_password=False), port, log_path)
        links = []
        try:
            meter = CpuMeter(server, engine, engine.url.database)
            load = os.getloadavg()
            print(f"Waiting room live benchmark: {args.clients} waiting pages, Granian 1 worker, PostgreSQL, "
                  f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load[0]:.2f} {load[1]:.2f} "
                  f"{load[2]:.2f} ({os.cpu_count()} cores, shared machine)")
            wait_idle(meter, limit=30)
            rss_before, cpu_before = rss_mb(server.pid), meter.sample()
            started = time.time()
            n = args.client_processes
            for i in range(n):
                parent, child = multiprocessing.Pipe()
                proc = multiprocessing.Process(target=_holder, args=(port, onsale_id, cookies[i::n], n, child),
                                               daemon=True)
                proc.start()
                links.append((proc, parent))
            opened = [parent.recv() for _proc, parent in links]
            elapsed = time.time() - started
            cpu = CpuMeter.used(cpu_before, meter.sample())
            pages, failures = sum(o[1] for o in opened), sum(o[2] for o in opened)
            wait_idle(meter, limit=60)
            rss_open, (files, file_limit) = rss_mb(server.pid), open_files(server.pid)
            print(f"1. open: {pages} waiting pages ({failures} failed, {sum(o[4] for o in opened)} got their place) "
                  f"in {elapsed:.0f} s ({pages / max(elapsed, 1e-9):.0f} pages/s); server per page: CPU "
                  f"{cpu['server'] / max(pages, 1) * 1000:.1f} ms (+PostgreSQL "
                  f"{cpu['postgres'] / max(pages, 1) * 1000:.2f} ms), memory "
                  f"{(rss_open - rss_before) * 1024 / max(pages, 1):.1f} KB (server RSS {rss_before:.0f} -> "
                  f"{rss_open:.0f} MB); the worker holds {files} open files of its limit of {file_limit}")
            _collect(links, "boards")

            before = meter.sample()
            time.sleep(args.window)
            idle = CpuMeter.used(before, meter.sample())
            print(f"2. idle (paused): server CPU {idle['server'] / args.window * 100:.1f} % of a core "
                  f"(pings of {pages} sockets, the tick's reads)")

            with Session(engine) as s:  # one admission per second: every tick moves the board
                onsales.set_paused(s, None, onsale_id, False)
            before = meter.sample()
            time.sleep(args.window)
            ticking = CpuMeter.used(before, meter.sample())
            with Session(engine) as s:
                onsales.set_paused(s, None, onsale_id, True)
            time.sleep(2.0)
            boards = _collect(links, "boards")
            ticks = {ticked for _r, ticked, _t in boards[0]}
            delays = [received - ticked for received, ticked, _t in boards[0] if ticked]
            per_tick = (ticking["server"] - idle["server"]) / max(len(ticks), 1)
            assert not _collect(links, "shop")[0][0] and args.window < PHANTOMS, "step 3 let in a page"
            print(f"3. ticks: {len(ticks)} broadcasts in {args.window:.0f} s, {len(boards[0])} page updates "
                  f"({len(boards[0]) / max(len(ticks), 1):.0f} per tick); server CPU above idle "
                  f"{(ticking['server'] - idle['server']) / args.window * 100:.1f} % of a core, per broadcast "
                  f"{per_tick * 1000:.0f} ms ({per_tick / max(pages, 1) * 1e6:.1f} us per waiting page), "
                  f"PostgreSQL {(ticking['postgres'] - idle['postgres']) / max(len(ticks), 1) * 1000:.1f} ms; "
                  f"tick commit -> page received: p50 {_ms(delays, 50)}, p99 {_ms(delays, 99)}, "
                  f"max {_ms(delays, 100)}")

            with Session(engine) as s:  # the last phantom places let in; then about one tick's worth of `--batch`
                # admissions of waiting pages, ticked by the server
                s.execute(update(OnSale).where(OnSale.id == onsale_id).values(admitted_through=PHANTOMS))
                s.commit()
                time.sleep(2.0)
                onsales.set_rate(s, None, onsale_id, args.batch * 60)
                before = meter.sample()
                onsales.set_paused(s, None, onsale_id, False)
            time.sleep(1.0)
            with Session(engine) as s:
                onsales.set_paused(s, None, onsale_id, True)
            settle = min(60.0, 5.0 + args.batch / 50)
            time.sleep(settle)
            batch_cpu = CpuMeter.used(before, meter.sample())
            shop = _collect(links, "shop")
            latencies = [x for part in shop for x in part[0]]
            let_in, asked = len(latencies), sum(part[1] for part in shop)
            shown = [x for part in shop for x in part[2]]
            above_idle = batch_cpu["server"] - idle["server"] * (1.0 + settle) / args.window
            print(f"4. a batch let in (rate {args.batch * 60}/min for 1 s): {asked} pages saw their place let in and "
                  f"asked for their pass, {let_in} redirected to the shop; "
                  f"the tick's commit -> the page has its redirect: p50 {_ms(latencies, 50)}, "
                  f"p99 {_ms(latencies, 99)}, max {_ms(latencies, 100)}; -> the shop page shown (its on_load "
                  f"answered, {len(shown)} pages): p50 {_ms(shown, 50)}, p99 {_ms(shown, 99)}, max {_ms(shown, 100)}; "
                  f"server CPU per admission above idle {above_idle / max(let_in, 1) * 1000:.1f} ms (pass check in "
                  f"the DB, state update, redirect, the shop page's load)")
        finally:
            for _proc, parent in links:
                with contextlib.suppress(OSError):
                    parent.send("close")
            for proc, _parent in links:
                proc.join(timeout=30)
            stop_server(server)
            with open(log_path, errors="replace") as log:
                warnings = sum(1 for line in log if " WARNING " in line or " ERROR " in line)
            print(f"server log: {warnings} warnings/errors ({log_path})")


def _collect(links, command: str) -> list:
    for _proc, parent in links:
        parent.send(command)
    parts = [parent.recv() for _proc, parent in links]
    if command == "boards":
        return [[b for part in parts for b in part[0]]]
    return parts


if __name__ == "__main__":
    main()
