"""One broadcast to a socket.io room: the frame encoded once, then a cheap write per socket.

`AsyncServer.emit(..., to=room)` encodes the packet once but then creates one asyncio task per socket of the room
(`AsyncManager.emit` -> `_send_eio_packet` -> `AsyncServer.send_packet` -> `AsyncSocket.send`), about 50 us of CPU
per waiting page per broadcast, ~1 s per tick at 20,000 pages (docs/benchmarks.md). `broadcast` builds the same
Socket.IO EVENT packet and its Engine.IO MESSAGE frame once (the frame's text is cached on the packet object:
`engineio.packet.Packet.encode`), then puts that one packet object on each socket's send queue
(`AsyncSocket.queue.put_nowait`): what `AsyncSocket.send` does, without its task, coroutine chain and ping check.
Each socket's own writer task then sends the frame on its transport, in queue order with everything else sent to
that page (no reordering, no concurrent writes on one websocket). Synchronous: it never yields to the loop.

Undocumented python-socketio / python-engineio internals used (docs/upgrade-checklist.md, tests/test_private_apis.py):
`AsyncServer.packet_class`, `AsyncServer.eio.sockets` (Engine.IO sid -> AsyncSocket), `AsyncSocket.queue` and
`.closed`, `engineio.packet.Packet(MESSAGE, text)`. A packet that would need binary attachments, or a server
without these, goes through `sio.emit` as before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from engineio import packet as eio_packet
from socketio import packet as sio_packet

log = logging.getLogger(__name__)


def frame(sio: Any, event: str, data: Any, namespace: str) -> eio_packet.Packet | None:
    """The Engine.IO MESSAGE packet carrying Socket.IO EVENT `[event, data]` on `namespace`, its text encoded once
    (None when it needs binary attachments)."""
    encoded = sio.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, data]).encode()
    if not isinstance(encoded, str):  # binary attachments: several frames, left to python-socketio
        return None
    message = eio_packet.Packet(eio_packet.MESSAGE, encoded)
    message.encode()  # cached on the packet: every socket's writer sends this same text
    return message


def write(sio: Any, message: eio_packet.Packet, namespace: str, room: str) -> int:
    """Queue `message` on every open socket of `room` in this process; returns how many."""
    sockets = sio.eio.sockets
    sent = 0
    for _sid, eio_sid in sio.manager.get_participants(namespace, room):
        socket = sockets.get(eio_sid)
        if socket is None or socket.closed:  # left meanwhile: socket.io drops it from its rooms itself
            continue
        socket.queue.put_nowait(message)
        sent += 1
    return sent


async def broadcast(sio: Any, event: str, data: Any, namespace: str, room: str) -> int:
    """Send `event` with `data` to every page of `room`, encoded once; returns the sockets written (-1: went
    through `sio.emit`, count unknown)."""
    message = frame(sio, event, data, namespace) if _supported(sio) else None
    if message is None:
        await sio.emit(event, data, to=room, namespace=namespace)
        return -1
    return write(sio, message, namespace, room)


def room_size(sio: Any, namespace: str, room: str) -> int:
    """How many sockets of this process are in `room`."""
    return len(getattr(sio.manager, "rooms", {}).get(namespace, {}).get(room) or ())


def send_to(sio: Any, event: str, data: Any, namespace: str, room: str, sids: Iterable[str]) -> int:
    """Send `event` with `data`, encoded once, to those of the Socket.IO `sids` that are in `room` in this process
    (a page that left, or moved to another room, is skipped); returns the sockets written."""
    members = getattr(sio.manager, "rooms", {}).get(namespace, {}).get(room) or {}  # sid -> Engine.IO sid
    targets = [members[sid] for sid in sids if sid in members]
    if not targets or not _supported(sio):
        return 0
    message = frame(sio, event, data, namespace)
    if message is None:
        return 0
    sockets, sent = sio.eio.sockets, 0
    for eio_sid in targets:
        socket = sockets.get(eio_sid)
        if socket is not None and not socket.closed:
            socket.queue.put_nowait(message)
            sent += 1
    return sent


def _supported(sio: Any) -> bool:
    eio = getattr(sio, "eio", None)
    return isinstance(getattr(eio, "sockets", None), dict) and hasattr(sio, "packet_class")
