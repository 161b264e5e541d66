"""Live staff pages for `benchmarks.live_ui` (issue 12): admin dashboards and gate devices on the same live hub.

- admin: `--admin-pages` logged-in administrator tabs on `/admin` (each its own session cookie; the page's on_load
  checks the role in the database, loads the dashboard and joins the `admin` room). The push is timed from the
  response of one REST API order to each tab's receipt of the dashboard's new figures.
- gate: `--gate-devices` logged-in employee devices on `/controle`, each configured on the benchmark event (the
  gate form: `GateState.configure`, which joins `gate:<event id>` and loads the counters). The push is timed from
  the response of one REST API scan of a fresh ticket to each device's receipt of the new admitted count.
Prints, per kind: time to open, server CPU and RSS per open page (socket + hydrate + on_load (+ configure)),
pages updated, latency p50/p99/max, and the RSS after the pages left.

`python -m benchmarks.live_staff [--rounds 5] [--gate-devices 50] [--admin-pages 100]` opens the staff pages alone,
several rounds on one server, and prints the median CPU per page (see `main`).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select

from benchmarks.http import CpuMeter
from benchmarks.wsclient import Page
from jo_app.models import Role, Ticket
from jo_app.services.accounts import sessions, users
from jo_app.services.tickets.tokens import encode_ticket
from jo_app.state.admin_dashboard import AdminDashboardState
from jo_app.state.gate.control import GateState
from jo_app.state.gate.live import GateLiveState

HOST = "127.0.0.1"
PASSWORD = "Bench!Paris2024"
# Reflex state names as the websocket carries them (module path included), computed from the classes.
DASHBOARD = AdminDashboardState.get_full_name()
GATE = GateState.get_full_name()
GATE_LIVE = GateLiveState.get_full_name()
OPEN_CONCURRENCY = 50


def staff_cookies(engine, role: Role, count: int) -> tuple[str, list[str]]:
    """(e-mail, `count` session cookies) of a new account with `role` (one session per tab or device)."""
    with Session(engine, expire_on_commit=False) as session:
        email = f"bench-{role.value}-{uuid.uuid4().hex[:8]}@example.org"
        user = users.create_user(session, email=email, password=PASSWORD, first_name="Ada", last_name="Lovelace",
                                 role=role, verified=True)
        session.commit()
        cookies = ["jo_session=" + sessions.create_session(session, int(user.id)) for _ in range(count)]
        session.commit()
    return email, cookies


def fresh_ticket_payload(engine, event_id: int) -> str:
    """The QR payload of a valid, not yet scanned ticket of the event (the benchmark's sales made some)."""
    from jo_app.models import TicketStatus

    with Session(engine, expire_on_commit=False) as session:
        ticket = session.exec(select(Ticket).where(Ticket.event_id == event_id, Ticket.status == TicketStatus.VALID)
                              .order_by(Ticket.id.desc())).first()
        if ticket is None:
            raise RuntimeError("no valid ticket to scan")
        payload = ticket.qr_payload or encode_ticket(session, ticket)
        session.commit()
        return payload


class Watch:
    """Times, per page, the first update after `armed_at` matching `matches`."""

    def __init__(self, matches: Callable[[dict[str, Any]], bool]) -> None:
        self.matches = matches
        self.armed_at: float | None = None
        self.first: dict[int, float] = {}

    def __call__(self, page: Page, update: dict[str, Any]) -> None:
        if self.armed_at is not None and id(page) not in self.first and self.matches(update):
            self.first[id(page)] = time.time()


async def _open_all(paths_cookies: list[tuple[str, str]], watch: Watch,
                    after_open: Callable[[Page], Any] | None) -> tuple[list[Page], int]:
    semaphore = asyncio.Semaphore(OPEN_CONCURRENCY)
    pages: list[Page] = []
    failures = 0

    async def one(path: str, cookie: str) -> None:
        nonlocal failures
        async with semaphore:
            page = Page(HOST, port_of[0], path, cookie=cookie, on_update=watch)
            try:
                await page.open()
                if after_open is not None:
                    await after_open(page)
                pages.append(page)
            except Exception:
                failures += 1
                await page.close()

    await asyncio.gather(*(one(path, cookie) for path, cookie in paths_cookies))
    return pages, failures


port_of = [0]


def bench_staff(kind: str, port: int, meter: CpuMeter, server, rss_mb: Callable[[int], float], trigger,
                paths_cookies: list[tuple[str, str]], matches: Callable[[dict[str, Any]], bool],
                after_open=None) -> None:
    """Open the pages, time one push to them (`trigger()` -> the REST call's answer), close them."""
    from benchmarks.live_ui import ms

    port_of[0] = port
    watch = Watch(matches)
    n = len(paths_cookies)

    async def main() -> None:
        rss_before, cpu_before = rss_mb(server.pid), meter.sample()
        started = time.time()
        pages, failures = await _open_all(paths_cookies, watch, after_open)
        elapsed = time.time() - started
        await asyncio.sleep(0.5)
        cpu = CpuMeter.used(cpu_before, meter.sample())
        rss_open = rss_mb(server.pid)
        print(f"  {kind}: open {n} pages: {len(pages)} open ({failures} failed) in {elapsed:.1f} s; server per open "
              f"page: CPU {cpu['server'] / max(len(pages), 1) * 1000:.1f} ms (+PostgreSQL "
              f"{cpu['postgres'] / max(len(pages), 1) * 1000:.2f} ms), RSS "
              f"{(rss_open - rss_before) * 1024 / max(len(pages), 1):.0f} KB")
        await asyncio.sleep(1.0)
        watch.armed_at = time.time()
        cpu_before = meter.sample()
        answer = await asyncio.get_running_loop().run_in_executor(None, trigger)
        done_at = time.time()
        deadline = time.monotonic() + 10.0
        while len(watch.first) < len(pages) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        latencies = [watch.first[id(p)] - done_at for p in pages if id(p) in watch.first]
        cpu = CpuMeter.used(cpu_before, meter.sample())
        print(f"  {kind}: push to {len(pages)} pages ({answer}): {len(latencies)} updated; p50 {ms(latencies, 50)}, "
              f"p99 {ms(latencies, 99)}, max {ms(latencies, 100)}; server CPU for the push "
              f"{cpu['server'] * 1000:.0f} ms")
        for page in pages:
            await page.close()
        await asyncio.sleep(15.0)
        rss_15 = rss_mb(server.pid)
        await asyncio.sleep(25.0)
        print(f"  {kind}: after the pages left: server RSS {rss_15:.0f} MB 15 s after, {rss_mb(server.pid):.0f} MB "
              f"40 s after (was {rss_before:.0f} MB before they opened, {rss_open:.0f} MB while open)")

    asyncio.run(main())


def run(port: int, meter: CpuMeter, server, engine, rss_mb, post_order, post_scan, event_id: int,
        admin_pages: int, gate_devices: int) -> None:
    if admin_pages:
        _email, cookies = staff_cookies(engine, Role.ADMIN, admin_pages)

        def has_kpis(update: dict[str, Any]) -> bool:
            return "kpis_rx_state_" in ((update.get("delta") or {}).get(DASHBOARD) or {})

        def sale() -> str:
            status, _body = post_order()
            return f"order {status}"

        bench_staff("admin dashboards", port, meter, server, rss_mb, sale, [("/admin", c) for c in cookies], has_kpis)
    if gate_devices:
        email, cookies = staff_cookies(engine, Role.EMPLOYEE, gate_devices)
        seen: dict[str, int] = {}

        async def configure(page: Page) -> None:
            configured = page.expect(lambda u: ((u.get("delta") or {}).get(GATE_LIVE) or {}).get(
                "live_event_id_rx_state_") == event_id)
            page.send(f"{GATE}.configure", {"form": {"gate": "Bench lane", "event_id": str(event_id)}})
            update = await asyncio.wait_for(configured, 30)
            seen["admitted"] = update["delta"][GATE_LIVE].get("admitted_persons_rx_state_", 0)

        def admitted_more(update: dict[str, Any]) -> bool:
            value = ((update.get("delta") or {}).get(GATE_LIVE) or {}).get("admitted_persons_rx_state_")
            return value is not None and value > seen.get("admitted", 0)

        def scan() -> str:
            status, body = post_scan(email, fresh_ticket_payload(engine, event_id))
            return f"scan {status} {json.dumps(body.get('verdict', body))[:40]}"

        bench_staff("gate devices", port, meter, server, rss_mb, scan, [("/controle", c) for c in cookies],
                    admitted_more, after_open=configure)


# --- staff pages alone: `python -m benchmarks.live_staff` -----------------------------------------------------------

def main() -> None:
    """Only the staff pages, several rounds on one server (a per-page figure steadier than one round on a loaded
    machine): each round opens `--gate-devices` configured gate devices, then `--admin-pages` dashboards, prints the
    server CPU per open page, closes them; prints the median per kind. Same server as `benchmarks.live_ui`."""
    import argparse
    import os

    from benchmarks import live_ui
    from benchmarks.common import temp_database
    from benchmarks.http import free_port, stop_server
    from benchmarks.wsclient import initial_state_hashes

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--gate-devices", type=int, default=50)
    parser.add_argument("--admin-pages", type=int, default=100)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    Page.hashes = initial_state_hashes()
    with temp_database() as engine:
        _users, event_id, _offer_id, _events = live_ui.seed(engine, 1, 200_000)
        port = port_of[0] = args.port or free_port()
        server = live_ui.start_server(engine.url.render_as_string(hide_password=False), port, 1, "", "off")
        try:
            meter = CpuMeter(server, engine, engine.url.database)
            gate = [("/controle", c) for c in staff_cookies(engine, Role.EMPLOYEE, args.gate_devices)[1]]
            admin = [("/admin", c) for c in staff_cookies(engine, Role.ADMIN, args.admin_pages)[1]]

            async def configure(page: Page) -> None:
                configured = page.expect(lambda u: ((u.get("delta") or {}).get(GATE_LIVE) or {}).get(
                    "live_event_id_rx_state_") == event_id)
                page.send(f"{GATE}.configure", {"form": {"gate": "Bench lane", "event_id": str(event_id)}})
                await asyncio.wait_for(configured, 30)

            async def one_round(kind: str, paths_cookies: list[tuple[str, str]], after_open) -> float:
                before = meter.sample()
                pages, failures = await _open_all(paths_cookies, Watch(lambda _u: False), after_open)
                await asyncio.sleep(0.3)
                cpu = CpuMeter.used(before, meter.sample())
                per_page = cpu["server"] / max(len(pages), 1) * 1000
                print(f"  {kind}: {len(pages)} open ({failures} failed), server CPU per page {per_page:.1f} ms "
                      f"(+PostgreSQL {cpu['postgres'] / max(len(pages), 1) * 1000:.2f} ms), load "
                      f"{os.getloadavg()[0]:.1f}", flush=True)
                for page in pages:
                    await page.close()
                await asyncio.sleep(3.0)
                return per_page

            async def run_rounds() -> None:
                figures: dict[str, list[float]] = {"gate devices": [], "admin dashboards": []}
                warm_ups = (("gate devices", gate[:10], configure), ("admin dashboards", admin[:10], None))
                for kind, pages, after in warm_ups:
                    if pages:
                        await one_round(f"warm-up {kind}", pages, after)
                for _ in range(args.rounds):
                    if gate:
                        figures["gate devices"].append(await one_round("gate devices", gate, configure))
                    if admin:
                        figures["admin dashboards"].append(await one_round("admin dashboards", admin, None))
                for kind, values in figures.items():
                    if values:
                        print(f"{kind}: median {sorted(values)[len(values) // 2]:.1f} ms per page over "
                              f"{len(values)} rounds ({', '.join(f'{v:.1f}' for v in values)})")

            print(f"Staff pages: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            asyncio.run(run_rounds())
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
