"""Live pushes across the production topology (issue 12): nginx, two app processes, one Redis, one PostgreSQL.

Pages are raw websocket clients doing what a tab does (benchmarks/wsclient.py), held directly by one app process
or the other; sales go through the REST API of one process.
- a sale on one process reaches the catalogue pages held by the other (relay through Redis pub/sub);
- the push path stalls (a page that never reads its socket, and Redis stopped with SIGSTOP): payments still
  complete and the pages of the paying process still get the new figure; once Redis answers again, the next sale
  reaches the other process's pages too;
- kill -9 of one process: the other's pages stay live (a sale through it reaches them).
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session

from benchmarks.wsclient import Page
from jo_app.services.accounts import users
from jo_app.state.catalog.stock import StockState
from tests.deploy.conftest import PASSWORD, add_event
from tests.deploy.topology import Topology, free_port, http, topology

# The same xdist group as tests/deploy/test_topology.py: both start `reflex` in the repository, whose runs rewrite
# reflex.lock; two at once (one on each xdist worker) left it empty and the other's export failed.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("topology")]

STOCK = StockState.get_full_name()  # the state name the websocket carries (module path included)
SEATS = "seats_left_rx_state_"
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2039, "cvc": "123"}


@pytest.fixture(scope="module")
def topo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    base = tmp_path_factory.mktemp("live-topology")
    static = base / "static"  # raw websocket pages need no frontend build
    static.mkdir()
    (static / "index.html").write_text("<!doctype html><title>JO</title>")
    with topology(base, workers=1, reuse=(static, free_port())) as running:
        yield running


@pytest.fixture(scope="module")
def shop(topo: Topology) -> dict:
    with Session(topo.engine, expire_on_commit=False) as session:
        event_id, offer_id = add_event(session, capacity=1000, persons=1)
        email = f"live-{uuid.uuid4().hex[:8]}@example.org"
        users.create_user(session, email=email, password=PASSWORD, first_name="Ada", last_name="Lovelace",
                          verified=True)
        session.commit()
    return {"event_id": event_id, "offer_id": offer_id, "email": email}


def _token(port: int, email: str) -> str:
    status, _h, body = http(f"http://127.0.0.1:{port}/api/v1/auth/token", method="POST",
                            data=json.dumps({"email": email, "password": PASSWORD}).encode(),
                            headers={"Content-Type": "application/json"})
    assert status == 200, body
    return json.loads(body)["access_token"]


def _buy(port: int, token: str, offer_id: int, timeout: float = 15) -> tuple[int, float]:
    """One REST order on the process at `port`; (status, seconds it took)."""
    started = time.monotonic()
    status, _h, body = http(f"http://127.0.0.1:{port}/api/v1/orders", method="POST", timeout=timeout,
                            data=json.dumps({"card": CARD, "items": [{"offer_id": offer_id, "quantity": 1}]}).encode(),
                            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                                     "Idempotency-Key": uuid.uuid4().hex})
    assert status == 201, body
    return status, time.monotonic() - started


class Watch:
    """Catalogue pages on one process, recording the seats left they are shown for one event."""

    def __init__(self, port: int, event_id: int, count: int, origin: str) -> None:
        self.port, self.key, self.count, self.origin = port, str(event_id), count, origin
        self.pages: list[Page] = []
        self.seen: dict[int, list[int]] = {}

    def _on_update(self, page: Page, update: dict) -> None:
        seats = ((update.get("delta") or {}).get(STOCK) or {}).get(SEATS) or {}
        if self.key in seats:
            self.seen.setdefault(id(page), []).append(seats[self.key])

    async def open(self) -> None:
        for _ in range(self.count):
            page = Page("127.0.0.1", self.port, "/billetterie", on_update=self._on_update, origin=self.origin)
            await page.open(timeout=30)
            self.pages.append(page)

    def last(self) -> list[int | None]:
        return [(self.seen.get(id(p)) or [None])[-1] for p in self.pages]

    async def wait_all(self, value: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(v == value for v in self.last()):
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"pages on :{self.port} show {self.last()}, expected {value}")

    async def close(self) -> None:
        for page in self.pages:
            await page.close()


def _run(coroutine) -> None:
    """asyncio.run in a thread of its own (a Playwright sync API of another module may hold this thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def _seats_left(topo: Topology, event_id: int) -> int:
    from jo_app.models import Event

    with Session(topo.engine) as session:
        event = session.get(Event, event_id)
        return event.capacity - event.seats_sold


async def _stuck_page(port: int, origin: str) -> Page:
    """A page that connects, hydrates and joins the stock room, then never reads its socket again."""
    page = Page("127.0.0.1", port, "/billetterie", origin=origin)
    await page.open(timeout=30)
    page._task.cancel()  # stop reading: the server's buffers for this socket fill up
    sock = page._writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    return page


def test_a_sale_on_one_process_reaches_pages_on_the_other_and_a_stalled_push_path_blocks_nothing(topo, shop):
    app1, app2 = topo.apps
    token1, token2 = _token(app1.port, shop["email"]), _token(app2.port, shop["email"])

    async def scenario() -> None:
        on1, on2 = Watch(app1.port, shop["event_id"], 5, topo.url), Watch(app2.port, shop["event_id"], 5, topo.url)
        await on1.open()
        await on2.open()
        start = _seats_left(topo, shop["event_id"])
        await on1.wait_all(start, 5)
        await on2.wait_all(start, 5)

        # A sale on process 1 reaches the pages held by process 2 (and its own).
        await asyncio.to_thread(_buy, app1.port, token1, shop["offer_id"])
        await on2.wait_all(start - 1, 3)
        await on1.wait_all(start - 1, 3)
        # And the other way round.
        await asyncio.to_thread(_buy, app2.port, token2, shop["offer_id"])
        await on1.wait_all(start - 2, 3)
        await on2.wait_all(start - 2, 3)

        # The push path stalls: a page of process 1 never reads its socket, and Redis stops answering.
        stuck = await _stuck_page(app1.port, topo.url)
        topo.redis.send_signal(signal.SIGSTOP)
        try:
            durations = []
            for _ in range(20):
                _status, took = await asyncio.to_thread(_buy, app1.port, token1, shop["offer_id"])
                durations.append(took)
            assert max(durations) < 2.0, durations  # no payment waits for a push (or for Redis)
            await on1.wait_all(start - 22, 3)  # pages of the paying process still follow
            assert _seats_left(topo, shop["event_id"]) == start - 22
        finally:
            topo.redis.send_signal(signal.SIGCONT)
        # Redis is back: after the relay's reconnection, the next sale reaches process 2 again.
        deadline = time.monotonic() + 30
        expected = start - 22
        while True:
            await asyncio.to_thread(_buy, app1.port, token1, shop["offer_id"])
            expected -= 1
            try:
                await on2.wait_all(expected, 2)
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
        await on1.wait_all(expected, 3)
        await stuck.close()
        await on1.close()
        await on2.close()

    _run(scenario())


def test_kill_9_of_one_process_leaves_the_other_processes_pages_live(topo, shop):
    app1, app2 = topo.apps
    token2 = _token(app2.port, shop["email"])

    async def scenario() -> None:
        on1, on2 = Watch(app1.port, shop["event_id"], 3, topo.url), Watch(app2.port, shop["event_id"], 5, topo.url)
        await on1.open()
        await on2.open()
        start = _seats_left(topo, shop["event_id"])
        await on2.wait_all(start, 5)
        await asyncio.to_thread(app1.kill)  # SIGKILL the supervisor and its Granian workers
        await asyncio.sleep(1.0)
        assert all(page.closed for page in on1.pages)  # their process is gone
        assert not any(page.closed for page in on2.pages)
        await asyncio.to_thread(_buy, app2.port, token2, shop["offer_id"])
        await on2.wait_all(start - 1, 3)
        await asyncio.to_thread(_buy, app2.port, token2, shop["offer_id"])
        await on2.wait_all(start - 2, 3)
        await on2.close()

    _run(scenario())
