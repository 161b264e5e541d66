"""The Engine.IO writer's wait for its next frame, without a task per frame (python-engineio 4.x on Python 3.11).

Every websocket has a writer task (`AsyncSocket._websocket_handler.writer`) that loops on `AsyncSocket.poll`, which
waits for the socket's send queue with `asyncio.wait_for(self.queue.get(), ping_interval + ping_timeout)`. On
Python 3.11, `wait_for` wraps `queue.get()` in a new Task and a second future each time: every frame a page
receives (a queue board, a seats-left push, a ping) costs a task creation, a timer and three loop callbacks before
the writer wakes. `poll` below waits on `queue.get()` directly, its time limit kept by one watchdog timer per
socket (see `_wait`): the same packets in the same order, the same `QueueEmpty` after the same wait, the same `[]`
for the `None` that ends the writer.

Pings: every socket is pinged every `ping_interval` (Reflex: 25 s) and answers; each ping and its pong cost ~4 times
a broadcast frame (a task, timers, the pong's read). `ping_every(sio, sid, namespace, seconds)` gives one socket a
longer interval from its next ping on (the waiting pages: state/orders/queue_live.py), capped at half the time the
browser waits for a ping before it reconnects (`ping_interval + ping_timeout`, sent to it at the handshake); the
server still closes a socket whose pong is `ping_timeout` late, as before.

`install()` replaces `AsyncSocket.poll` and `AsyncSocket._send_ping` (idempotent); `uninstall()` puts them back.
Undocumented python-engineio internals (docs/upgrade-checklist.md, tests/test_private_apis.py): `AsyncSocket.poll`,
`._send_ping`, `.queue`, `.closing`, `.closed`, `.last_ping`, `.send`, `.server.ping_interval` / `.ping_timeout`,
`engineio.exceptions.QueueEmpty`, and python-socketio's `manager.eio_sid_from_sid`, `AsyncServer.eio.sockets`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from engineio import exceptions, packet
from engineio.async_socket import AsyncSocket

_original_poll = AsyncSocket.poll
_original_send_ping = AsyncSocket._send_ping


async def poll(self: Any) -> list:
    """Wait for packets to send to the client (python-engineio's `AsyncSocket.poll`, without `wait_for`)."""
    queue = self.queue
    try:
        first = queue.get_nowait()  # a frame already queued: no wait at all
    except asyncio.QueueEmpty:
        first = await _wait(self, queue)
    queue.task_done()
    if first is None:
        _disarm(self)
        return []
    packets = [first]
    while True:
        try:
            pkt = queue.get_nowait()
        except asyncio.QueueEmpty:
            break
        queue.task_done()
        if pkt is None:
            queue.put_nowait(None)
            break
        packets.append(pkt)
    return packets


async def _wait(self: Any, queue: asyncio.Queue) -> Any:
    """The next item of `queue`; QueueEmpty after `ping_interval + ping_timeout` seconds of waiting (or when the
    writer is cancelled), as python-engineio's poll. The time limit is one watchdog timer per socket, re-armed only
    when it fires (at most once per time limit), not a timer per frame: with thousands of sockets each frame's
    timer cost a heap insertion among thousands of timers (13 % of a worker's samples in a profile)."""
    loop = asyncio.get_running_loop()
    self.jo_deadline = loop.time() + self.server.ping_interval + self.server.ping_timeout
    self.jo_waiting = asyncio.current_task()
    if getattr(self, "jo_watchdog", None) is None:
        self.jo_watchdog = loop.call_at(self.jo_deadline, _watchdog, self, loop)
    try:
        return await queue.get()
    except asyncio.CancelledError:
        _disarm(self)
        raise exceptions.QueueEmpty() from None
    finally:
        self.jo_waiting = None


def _watchdog(self: Any, loop: asyncio.AbstractEventLoop) -> None:
    self.jo_watchdog = None
    task = getattr(self, "jo_waiting", None)
    if task is None:  # not waiting now: the next wait arms it again
        return
    if loop.time() >= self.jo_deadline:
        task.cancel()  # waited too long: `_wait` turns it into QueueEmpty
    else:
        self.jo_watchdog = loop.call_at(self.jo_deadline, _watchdog, self, loop)


def _disarm(self: Any) -> None:
    watchdog = getattr(self, "jo_watchdog", None)
    if watchdog is not None:
        watchdog.cancel()
        self.jo_watchdog = None


async def _send_ping(self: Any) -> None:
    """python-engineio's `AsyncSocket._send_ping`, with this socket's own interval when it has one."""
    await asyncio.sleep(getattr(self, "jo_ping_interval", None) or self.server.ping_interval)
    if not self.closing and not self.closed:
        self.last_ping = time.time()
        await self.send(packet.Packet(packet.PING))


def ping_every(sio: Any, sid: str, namespace: str, seconds: float) -> bool:
    """Ping the socket of Socket.IO `sid` every `seconds` (capped, see the module docstring) from its next ping on;
    False when the socket is gone."""
    eio_sid = sio.manager.eio_sid_from_sid(sid, namespace)
    socket = sio.eio.sockets.get(eio_sid) if eio_sid is not None else None
    if socket is None:
        return False
    server = sio.eio
    socket.jo_ping_interval = max(server.ping_interval, min(seconds, (server.ping_interval + server.ping_timeout) / 2))
    return True


def install() -> None:
    AsyncSocket.poll = poll  # type: ignore[method-assign]
    AsyncSocket._send_ping = _send_ping  # type: ignore[method-assign]


def uninstall() -> None:
    AsyncSocket.poll = _original_poll  # type: ignore[method-assign]
    AsyncSocket._send_ping = _original_send_ping  # type: ignore[method-assign]
