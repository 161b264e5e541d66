"""Big waiting rooms (state/orders/queue_live.py `announce`): a tick that only moved the queue reaches the whole room
at most every BIG_ROOM_SECONDS, but the pages it let in get their board at once, first, in any room; any other
change, a small room, or the interval passed: the whole room. And the hub's `send_to` writes one encoded frame to
those pages only."""

from __future__ import annotations

import asyncio
from datetime import datetime
from types import SimpleNamespace

import pytest
import reflex as rx
import socketio
from reflex.app import _sio_dumps, _sio_loads
from reflex.istate.data import RouterData

from jo_app.live import broadcast
from jo_app.live.hub import NAMESPACE, Hub, delta_update
from jo_app.services.orders.waiting_room import QueueBoard
from jo_app.state.orders import queue_live
from jo_app.state.orders.queue import QueueState
from jo_app.state.orders.queue_live import QueueLiveState

OPENS = datetime(2026, 1, 1)


class _Hub:
    def __init__(self, pages: int) -> None:
        self.room_pages, self.notified, self.sent = pages, [], []

    def pages(self, topic: str) -> int:
        return self.room_pages

    def notify(self, topic: str, *, relay: bool = True) -> None:
        self.notified.append(topic)

    def send_to(self, topic: str, update, sids) -> int:
        values = update.delta[QueueLiveState.get_full_name()]
        self.sent.append((topic, values["admitted_through_rx_state_"], sorted(sids)))
        return len(self.sent[-1][2])


@pytest.fixture
def room(monkeypatch):
    clock = [1000.0]
    fake = _Hub(queue_live.BIG_ROOM + 1)
    monkeypatch.setattr(queue_live, "hub", fake)
    monkeypatch.setattr(queue_live, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    for name in ("_places", "_whole", "_told"):
        monkeypatch.setattr(queue_live, name, {})
    monkeypatch.setattr(queue_live, "_behind", set())
    return fake, clock


def _board(through: int, *, rate: int = 60, paused: bool = False, closed: bool = False) -> QueueBoard:
    return QueueBoard(7, through, rate, paused, True, closed, OPENS, 0.0)


def test_a_big_room_gets_the_queue_moves_every_few_seconds_and_the_let_in_pages_at_once(room) -> None:
    hub, clock = room
    for position, sid in ((3, "a"), (4, "b"), (4, "b2"), (6, "c"), (20, "far")):
        queue_live.place(sid, 7, position)
    queue_live.place("", 7, 5)  # no socket, no place: ignored
    queue_live.place("z", 7, 0)
    topic = queue_live.topic(7)
    queue_live.announce(_board(2))  # first board: the whole room
    assert hub.notified == [topic] and hub.sent == []
    clock[0] += 1
    queue_live.announce(_board(4))  # only the queue moved: places 3 and 4 (two tabs of one account) now
    assert hub.notified == [topic] and hub.sent == [(topic, 4, ["a", "b", "b2"])]
    clock[0] += 1
    queue_live.announce(_board(5))  # nobody here waits at place 5
    queue_live.catch_up()  # the whole room is behind, but had a board 2 s ago
    assert hub.notified == [topic] and len(hub.sent) == 1
    clock[0] += queue_live.BIG_ROOM_SECONDS
    queue_live.announce(_board(6))  # the interval passed: the whole room, after place 6 on its own
    assert hub.notified == [topic] * 2 and hub.sent[1:] == [(topic, 6, ["c"])]
    clock[0] += 1
    queue_live.announce(_board(8))  # a move for the pages let in only ...
    queue_live.catch_up()
    assert hub.notified == [topic] * 2
    clock[0] += queue_live.BIG_ROOM_SECONDS
    queue_live.catch_up()  # ... and the whole room gets it 5 s after its last board, though nothing moved since
    queue_live.catch_up()
    assert hub.notified == [topic] * 3
    clock[0] += 1
    queue_live.announce(_board(8, paused=True))  # anything else than the queue moving: everyone at once
    queue_live.announce(_board(8, paused=True, rate=30))
    assert hub.notified == [topic] * 5
    clock[0] += 1
    queue_live.announce(_board(1000, paused=True, rate=30))  # a long jump: the remembered places, not the range
    assert hub.sent[-1] == (topic, 1000, ["far"]) and queue_live._places == {7: {}}
    queue_live.announce(_board(1000, closed=True))
    assert hub.notified == [topic] * 6 and 7 not in queue_live._places


def test_a_small_room_gets_every_tick(room) -> None:
    hub, _clock = room
    hub.room_pages = queue_live.BIG_ROOM
    queue_live.place("a", 7, 3)
    for through in (1, 2, 3, 4):
        queue_live.announce(_board(through))
    # every tick reaches the whole room; the page let in gets its board first, not behind the room's broadcast
    assert hub.notified == [queue_live.topic(7)] * 4 and hub.sent == [(queue_live.topic(7), 3, ["a"])]
    assert queue_live._places == {7: {}}


def test_a_waiting_page_tells_its_place(room, monkeypatch) -> None:
    async def no_link(sid, onsale_id) -> None:
        return None

    monkeypatch.setattr(queue_live, "link", no_link)
    state = rx.State(_reflex_internal_init=True)
    for name in QueueState.get_full_name().split(".")[1:]:
        state = state.substates[name]
    path = "/file-attente/7"
    state.router = RouterData.from_router_data({"headers": {}, "pathname": path, "asPath": path, "query": {},
                                                "sid": "sid-1"})
    data = {"state": "waiting", "position": 12, "ahead": 3, "wait": 60, "opens_at": "", "pass": "", "pass_until": "",
            "event_ids": [1]}
    monkeypatch.setattr("jo_app.state.orders.queue._status", lambda action, user, onsale: data)

    async def user(self):
        return SimpleNamespace(user_id=5)

    monkeypatch.setattr(QueueState, "require_user", user)
    asyncio.run(QueueState.event_handlers["refresh"].fn(state))
    assert queue_live._places == {7: {12: {"sid-1"}}}


def test_send_to_writes_one_frame_to_the_given_pages_of_the_room_only() -> None:
    async def go() -> None:
        sio = socketio.AsyncServer(async_mode="asgi", json=SimpleNamespace(dumps=staticmethod(_sio_dumps),
                                                                           loads=staticmethod(_sio_loads)))
        sio.eio.sockets.clear()
        sids = {}
        for eio_sid in ("e1", "e2", "e3", "e4"):
            sio.eio.sockets[eio_sid] = SimpleNamespace(queue=asyncio.Queue(), closed=False)
            sids[eio_sid] = await sio.manager.connect(eio_sid, NAMESPACE)
        hub = Hub()
        hub.bind(SimpleNamespace(sio=sio))
        for eio_sid in ("e1", "e2", "e3"):
            await hub.join(sids[eio_sid], "queue:7")
        sio.eio.sockets["e3"].closed = True
        update = delta_update("reflex___state____state.demo", {"n": 1})
        assert hub.pages("queue:7") == 3 and hub.pages("queue:8") == 0
        sent = hub.send_to("queue:7", update, [sids["e1"], sids["e3"], sids["e4"], "gone"])
        assert sent == 1  # e3 closed, e4 not in the room, "gone" unknown
        queued = {e: s.queue.get_nowait() for e, s in sio.eio.sockets.items() if not s.queue.empty()}
        assert list(queued) == ["e1"]
        assert queued["e1"].encode() == broadcast.frame(sio, "event", update, NAMESPACE).encode()

    asyncio.run(go())
