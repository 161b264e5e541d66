"""The server of benchmarks/broadcast_fanout.py: a socket.io server configured as Reflex's (websocket only, Reflex's
JSON), the live hub with one topic, and two ways to send its update to the room: `emit` (python-socketio's own
path, one task per socket) and `broadcast` (jo_app.live.broadcast, encoded once, queued on each socket)."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

import socketio
from reflex.app import _sio_dumps, _sio_loads

from jo_app.live import broadcast, engineio_tuning
from jo_app.live.hub import NAMESPACE, Hub, delta_update

LIVE = "reflex___state____state.jo_app___state___queue_live____queue_live_state"

sio = socketio.AsyncServer(async_mode="asgi", json=SimpleNamespace(dumps=staticmethod(_sio_dumps),
                                                                   loads=staticmethod(_sio_loads)),
                           transports=["websocket"], allow_upgrades=False, async_handlers=False,
                           ping_interval=float(os.environ.get("BENCH_PING_INTERVAL", "25")), ping_timeout=120)
if os.environ.get("BENCH_ENGINEIO_TUNING", "1") == "1":  # as the app (jo_app/jo_app.py); 0: python-engineio's own
    engineio_tuning.install()
hub = Hub()
hub.bind(SimpleNamespace(sio=sio))
_ticks = [0]


def board(through: int) -> object:
    """A waiting page's board as the queue topic pushes it (QueueLiveState's public numbers)."""
    return delta_update(LIVE, {"live_onsale_id": 1, "admitted_through": through, "rate": 60, "paused": False,
                               "opened": True, "closed": False, "ticked_at": time.time()})


@sio.on("join", namespace=NAMESPACE)
async def join(sid: str, topic: str) -> str:
    await hub.join(sid, topic)
    return "joined"


@sio.on("tick", namespace=NAMESPACE)
async def tick(sid: str, mode: str) -> float:
    """Send one board to the room `live:queue:1` by `mode`; returns the seconds the call itself took."""
    _ticks[0] += 1
    update, room = board(_ticks[0]), hub.room("queue:1")
    started = time.perf_counter()
    if mode == "emit":
        await sio.emit("event", update, to=room, namespace=NAMESPACE)
    else:
        await broadcast.broadcast(sio, "event", update, NAMESPACE, room)
    return time.perf_counter() - started


app = socketio.ASGIApp(sio, socketio_path="_event")
