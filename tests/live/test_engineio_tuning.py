"""jo_app.live.engineio_tuning: the writer's `poll` without `wait_for` returns what python-engineio's own `poll`
returns, in the same cases (frames queued, the `None` that ends the writer, a frame behind it, silence); a socket
given its own ping interval is pinged at that interval, capped below what the browser tolerates."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
import socketio
from engineio import exceptions, packet
from engineio.async_socket import AsyncSocket

from jo_app.live import engineio_tuning

POLLS = {"ours": engineio_tuning.poll, "engineio": engineio_tuning._original_poll}


def _socket(*queued: object, silence: float = 30.0) -> SimpleNamespace:
    queue: asyncio.Queue = asyncio.Queue()
    for item in queued:
        queue.put_nowait(item)
    return SimpleNamespace(queue=queue, server=SimpleNamespace(ping_interval=silence / 2, ping_timeout=silence / 2))


@pytest.mark.parametrize("which", sorted(POLLS))
def test_poll_returns_the_queued_frames_and_stops_at_the_end_marker(which: str) -> None:
    poll = POLLS[which]

    async def go() -> None:
        socket = _socket("a", "b", None, "late")
        assert await poll(socket) == ["a", "b"]  # all that is queued, up to the end marker ...
        assert [socket.queue.get_nowait() for _ in range(2)] == ["late", None]  # ... put back, for the next poll
        assert await poll(_socket(None)) == []  # the end marker first: the writer stops
        waiting = _socket()
        task = asyncio.ensure_future(poll(waiting))
        await asyncio.sleep(0.01)
        assert not task.done()  # nothing queued: it waits
        waiting.queue.put_nowait("x")
        waiting.queue.put_nowait("y")
        assert await asyncio.wait_for(task, 1) == ["x", "y"]
        await asyncio.wait_for(waiting.queue.join(), 1)  # every item taken was marked done
        with pytest.raises(exceptions.QueueEmpty):  # silence past ping interval + timeout: the writer stops
            await poll(_socket(silence=0.05))
        cancelled = asyncio.ensure_future(poll(_socket()))
        await asyncio.sleep(0.01)
        cancelled.cancel()
        with pytest.raises(exceptions.QueueEmpty):  # cancelled while waiting: the same as python-engineio's
            await cancelled

    asyncio.run(go())


@pytest.mark.parametrize("which", sorted(POLLS))
def test_the_time_limit_counts_from_each_wait(which: str) -> None:
    poll = POLLS[which]

    async def go() -> None:
        socket = _socket(silence=0.2)
        asyncio.get_running_loop().call_later(0.12, socket.queue.put_nowait, "a")
        assert await poll(socket) == ["a"]  # after 0.12 s of the 0.2 s
        asyncio.get_running_loop().call_later(0.12, socket.queue.put_nowait, "b")
        assert await poll(socket) == ["b"]  # 0.24 s after the first wait began, 0.12 s after this one did
        socket.queue.put_nowait(None)
        assert await poll(socket) == []
        assert getattr(socket, "jo_watchdog", None) is None  # the writer ends: no timer left behind

    asyncio.run(go())


def test_install_and_uninstall() -> None:
    engineio_tuning.uninstall()
    assert AsyncSocket.poll is engineio_tuning._original_poll
    assert AsyncSocket._send_ping is engineio_tuning._original_send_ping
    engineio_tuning.install()
    engineio_tuning.install()
    assert AsyncSocket.poll is engineio_tuning.poll and AsyncSocket._send_ping is engineio_tuning._send_ping


def test_a_socket_of_its_own_interval_is_pinged_at_that_interval_capped() -> None:
    sent: list = []

    async def send(pkt) -> None:
        sent.append(pkt.packet_type)

    async def go() -> None:
        sio = socketio.AsyncServer(async_mode="asgi", ping_interval=25, ping_timeout=120)
        sio.eio.sockets.clear()
        sio.eio.sockets["e1"] = SimpleNamespace(closing=False, closed=False)
        sid = await sio.manager.connect("e1", "/_event")
        assert engineio_tuning.ping_every(sio, sid, "/_event", 60)
        assert sio.eio.sockets["e1"].jo_ping_interval == 60
        assert engineio_tuning.ping_every(sio, sid, "/_event", 1000)  # capped: the browser waits 145 s at most
        assert sio.eio.sockets["e1"].jo_ping_interval == 72.5
        assert engineio_tuning.ping_every(sio, sid, "/_event", 5)  # never more often than the server's own
        assert sio.eio.sockets["e1"].jo_ping_interval == 25
        assert not engineio_tuning.ping_every(sio, "gone", "/_event", 60)

        socket = SimpleNamespace(closing=False, closed=False, last_ping=None, send=send, jo_ping_interval=0.01,
                                 server=SimpleNamespace(ping_interval=30))
        await asyncio.wait_for(engineio_tuning._send_ping(socket), 1)  # its own 10 ms, not the server's 30 s
        assert sent == [packet.PING] and socket.last_ping is not None
        socket.closed = True
        await engineio_tuning._send_ping(socket)
        assert sent == [packet.PING]  # closed meanwhile: no ping

    asyncio.run(go())
