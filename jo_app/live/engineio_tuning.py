"""The Engine.IO writer's wait for its next frame, without a task per frame (python-engineio 4.x on Python 3.11).

Every websocket has a writer task (`AsyncSocket._websocket_handler.writer`) that loops on `AsyncSocket.poll`, which
waits for the socket's send queue with `asyncio.wait_for(self.queue.get(), ping_interval + ping_timeout)`. On
Python 3.11, `wait_for` wraps `queue.get()` in a new Task and a second future each time: every frame a page
receives (a queue board, a seats-left push, a ping) costs a task creation and three loop callbacks before the
writer wakes. `poll` below waits on `queue.get()` directly under `asyncio.timeout` (one timer handle, moved, not
a task): the same packets in the same order, the same `QueueEmpty` after the same silence, the same `[]` for the
`None` that ends the writer.

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
        try:
            async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
                first = await queue.get()
        except (TimeoutError, asyncio.CancelledError):
            raise exceptions.QueueEmpty() from None
    queue.task_done()
    if first is None:
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
