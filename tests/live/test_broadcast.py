"""The live hub's broadcast (jo_app.live.broadcast): one encoding, the same frame queued on each socket.

- In process: the frame `broadcast` queues is, byte for byte, the one python-socketio's own `emit` to the room
  would send, for every socket of the room and only them; closed sockets are skipped; a packet needing binary
  attachments (or a server without the internals) goes through `emit`.
- Over the network: real socket.io clients (python-socketio's `Client`) on a server configured as Reflex's
  (served by Granian) receive from the hub's push exactly the payload that the old `emit` path gave them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import socketio
from engineio import packet as eio_packet
from reflex.app import _sio_dumps, _sio_loads

from jo_app.live import broadcast
from jo_app.live.hub import NAMESPACE, delta_update

ROOT = Path(__file__).resolve().parents[2]
UPDATE = delta_update("reflex___state____state.demo", {"admitted_through": 7, "label": "Cérémonie \"é\" <b>"})


def _server() -> socketio.AsyncServer:
    return socketio.AsyncServer(async_mode="asgi", json=SimpleNamespace(dumps=staticmethod(_sio_dumps),
                                                                        loads=staticmethod(_sio_loads)))


class _Socket:
    def __init__(self) -> None:
        self.queue: asyncio.Queue = asyncio.Queue()
        self.closed = False


def test_the_queued_frame_is_the_one_emit_sends_and_goes_to_the_room_only() -> None:
    async def go() -> None:
        sio = _server()
        sio.eio.sockets.clear()
        sids = {}
        for eio_sid in ("e1", "e2", "e3", "e4"):
            sio.eio.sockets[eio_sid] = _Socket()
            sids[eio_sid] = await sio.manager.connect(eio_sid, NAMESPACE)
        for eio_sid in ("e1", "e2", "e3"):
            await sio.enter_room(sids[eio_sid], "live:demo", namespace=NAMESPACE)
        sio.eio.sockets["e3"].closed = True  # a page that left: skipped

        emitted: dict[str, eio_packet.Packet] = {}

        async def capture(eio_sid, pkt):
            emitted[eio_sid] = pkt

        sio._send_eio_packet = capture  # python-socketio's own path, up to the Engine.IO socket
        await sio.emit("event", UPDATE, to="live:demo", namespace=NAMESPACE)
        sent = await broadcast.broadcast(sio, "event", UPDATE, NAMESPACE, "live:demo")
        assert sent == 2
        queued = {eio_sid: s.queue.get_nowait() for eio_sid, s in sio.eio.sockets.items() if not s.queue.empty()}
        assert set(queued) == {"e1", "e2"}  # the room's open sockets; e4 is not in the room
        assert queued["e1"] is queued["e2"]  # one packet object, encoded once
        assert queued["e1"].encode() == emitted["e1"].encode()  # the very frame emit sends
        assert queued["e1"].packet_type == eio_packet.MESSAGE
        assert '"admitted_through' in queued["e1"].encode() and queued["e1"].encode().startswith('42/_event,["event"')

    asyncio.run(go())


def test_binary_payloads_and_foreign_servers_go_through_emit() -> None:
    class _Plain:
        def __init__(self) -> None:
            self.emits: list[tuple] = []

        async def emit(self, event, data, to=None, namespace=None) -> None:
            self.emits.append((event, to, namespace))

    plain = _Plain()
    assert asyncio.run(broadcast.broadcast(plain, "event", {"n": 1}, NAMESPACE, "live:x")) == -1
    assert plain.emits == [("event", "live:x", NAMESPACE)]
    assert broadcast.frame(_server(), "event", {"blob": b"\x00\x01"}, NAMESPACE) is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    port = _free_port()
    log = tmp_path_factory.mktemp("broadcast") / "granian.log"
    with log.open("w") as out:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--host",
                                 "127.0.0.1", "--port", str(port), "--workers", "1",
                                 "tests.live.broadcast_server:app"],
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"the test server did not start:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def _client(url: str, received: list, arrived: threading.Event, want: int) -> socketio.Client:
    client = socketio.Client(reconnection=False)

    @client.on("event", namespace=NAMESPACE)
    def on_event(data) -> None:
        received.append(data)
        if len(received) >= want:
            arrived.set()

    client.connect(url, socketio_path="_event", namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=20)
    return client


def test_real_clients_get_from_the_hub_push_the_payload_emit_gave_them(served: str) -> None:
    pages = []
    for _ in range(3):
        received: list = []
        arrived = threading.Event()
        pages.append((_client(served, received, arrived, 2), received, arrived))
    outsider_received: list = []
    outsider = _client(served, outsider_received, threading.Event(), 1)
    try:
        for client, _received, _arrived in pages:
            assert client.call("join", "demo:1", namespace=NAMESPACE, timeout=10) == "joined"
        driver = pages[0][0]
        assert driver.call("old", "demo:1", namespace=NAMESPACE, timeout=10) == "sent"  # python-socketio's emit
        pushes = driver.call("stats", namespace=NAMESPACE, timeout=10)
        assert driver.call("push", "demo:1", namespace=NAMESPACE, timeout=10) == "pushed"  # the hub: broadcast
        assert driver.call("stats", namespace=NAMESPACE, timeout=10) == pushes + 1
        for _page, received, arrived in pages:
            assert arrived.wait(10), received
            old, new = received
            assert new == old  # same payload, same decoding, through the direct write
            values = new["delta"]["reflex___state____state.demo"]
            assert values["admitted_through_rx_state_"] == 1234 and values["topic_rx_state_"] == "demo:1"
            assert values["label_rx_state_"] == "Cérémonie \"d'ouverture\" <é> \u2028"
        time.sleep(0.3)
        assert outsider_received == []  # not in the room: nothing
    finally:
        for client, _received, _arrived in pages:
            client.disconnect()
        outsider.disconnect()
