"""A socket.io server configured as Reflex configures its own (websocket only, Reflex's JSON), with one live-hub
topic, for tests/live/test_broadcast.py (served by Granian in a subprocess). Client events on `/_event`:
`join` (topic) puts the page in the topic's room; `old` sends the topic's update to the room with python-socketio's
own `emit` (the path used before `jo_app.live.broadcast`); `push` notifies the hub, whose pump sends it with
`broadcast`; `stats` returns the hub's push count."""

from __future__ import annotations

from types import SimpleNamespace

import socketio
from reflex.app import _sio_dumps, _sio_loads

from jo_app.live import engineio_tuning
from jo_app.live.hub import NAMESPACE, Hub, TopicSpec, delta_update

PAYLOAD = {"admitted_through": 1234, "rate": 60, "paused": False, "label": "Cérémonie \"d'ouverture\" <é> \u2028"}


def _reader(topic: str):
    return delta_update("reflex___state____state.demo", {**PAYLOAD, "topic": topic})


sio = socketio.AsyncServer(async_mode="asgi", json=SimpleNamespace(dumps=staticmethod(_sio_dumps),
                                                                   loads=staticmethod(_sio_loads)),
                           transports=["websocket"], allow_upgrades=False, async_handlers=False)
engineio_tuning.install()  # as the app does (jo_app/jo_app.py): the writers' poll without a task per frame
hub = Hub()
hub.register("demo", TopicSpec(reader=_reader, interval=0.0))
hub.bind(SimpleNamespace(sio=sio))


@sio.on("join", namespace=NAMESPACE)
async def join(sid: str, topic: str) -> str:
    await hub.join(sid, topic)
    return "joined"


@sio.on("old", namespace=NAMESPACE)
async def old(sid: str, topic: str) -> str:
    await sio.emit("event", _reader(topic), to=hub.room(topic), namespace=NAMESPACE)
    return "sent"


@sio.on("push", namespace=NAMESPACE)
async def push(sid: str, topic: str) -> str:
    hub.notify(topic, relay=False)
    await hub.idle()
    return "pushed"


@sio.on("stats", namespace=NAMESPACE)
async def stats(sid: str) -> int:
    return hub.pushes


app = socketio.ASGIApp(sio, socketio_path="_event")
