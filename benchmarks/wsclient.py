"""A lean raw websocket client speaking Engine.IO 4 / Socket.IO 5 to Reflex's `/_event`, the way a browser tab does.

One `Page` is one tab: it opens the websocket with its own token (and optionally a session cookie), connects the
`/_event` namespace with the hydrate event in the CONNECT packet (as Reflex's frontend does), re-sends every event
the server chains back (on_load_internal, the page's on_load handlers...) with the page's router data, answers
Engine.IO pings, and records what it receives. No thread and no extra library per page, so one client process can
hold thousands of pages.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import struct
import time
import uuid
from collections.abc import Callable
from typing import Any

NAMESPACE = "/_event"
ROOT_STATE = "reflex___state____state"
HYDRATE = f"{ROOT_STATE}.hydrate_and_load"  # what the frontend sends in the CONNECT packet
IS_HYDRATED = "is_hydrated_rx_state_"


def router_data(path: str) -> dict[str, Any]:
    return {"pathname": path.split("?")[0], "asPath": path, "query": {}}


def initial_state_hashes() -> list[str]:
    """The per-state hashes of the compiled initial state, as the built frontend holds them (`initialStateHashes`
    in .web/utils/context.js) and sends them in its first hydrate: the backend then sends only the vars that differ
    from the compiled defaults. Computed the way the compiler does (imports the app: a few seconds, once)."""
    from reflex.compiler.utils import compile_state
    from reflex.state import State, state_snapshot_hashes

    import jo_app.jo_app  # noqa: F401  (registers every state)

    return state_snapshot_hashes(compile_state(State))


class Page:
    """One open page (tab) on `path`. `on_update(page, update)` is called for every Reflex update received.

    `hashes`: what a browser sends with its first hydrate (`initial_state_hashes()`); without them the backend sends
    the full state of every substate (what a browser gets on a reconnect)."""

    hashes: list[str] | None = None  # default for every page of this process

    def __init__(self, host: str, port: int, path: str, *, cookie: str | None = None,
                 on_update: Callable[[Page, dict[str, Any]], None] | None = None, follow_events: bool = True,
                 origin: str | None = None, hashes: list[str] | None = None) -> None:
        self.host, self.port, self.path, self.cookie = host, port, path, cookie
        if hashes is not None:
            self.hashes = hashes
        self.origin = origin or f"http://{host}:{port}"  # must be an allowed CORS origin of the app
        self.on_update = on_update
        self.follow_events = follow_events
        self.token = str(uuid.uuid4())
        self.hydrated = asyncio.Event()
        self.updates = 0
        self.closed = False
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task | None = None
        self.waiters: list[tuple[Callable[[dict[str, Any]], bool], asyncio.Future]] = []

    # --- websocket framing -------------------------------------------------------------------------------------

    async def open(self, timeout: float = 60.0) -> None:
        self._reader, self._writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        cookie = f"Cookie: {self.cookie}\r\n" if self.cookie else ""
        self._writer.write((
            f"GET {NAMESPACE}/?EIO=4&transport=websocket&token={self.token} HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {self.origin}\r\n{cookie}\r\n").encode())
        head = await asyncio.wait_for(self._reader.readuntil(b"\r\n\r\n"), timeout)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head[:200])
        self._task = asyncio.get_running_loop().create_task(self._read_loop())
        boot = {"name": HYDRATE, "payload": {"hashes": self.hashes} if self.hashes else {},
                "router_data": router_data(self.path)}
        self._send_text(f"40{NAMESPACE}," + json.dumps({"event": boot}))
        await asyncio.wait_for(self.hydrated.wait(), timeout)

    def _send_text(self, text: str) -> None:
        if self._writer is None or self.closed:
            return
        data = text.encode()
        mask = os.urandom(4)
        length = len(data)
        if length < 126:
            header = struct.pack("!BB", 0x81, 0x80 | length)
        elif length < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, length)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self._writer.write(header + mask + masked)

    async def _read_frame(self) -> tuple[int, bytes]:
        assert self._reader is not None
        first, second = await self._reader.readexactly(2)
        opcode, length = first & 0x0F, second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self._reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self._reader.readexactly(8))
        return opcode, await self._reader.readexactly(length)

    async def _read_loop(self) -> None:
        try:
            parts: list[bytes] = []
            while True:
                opcode, data = await self._read_frame()
                if opcode == 8:
                    break
                if opcode == 9:  # websocket ping -> pong
                    self._send_control(10, data)
                    continue
                if opcode in (1, 2, 0):
                    parts.append(data)
                    # (Reflex / python-engineio send whole messages; continuation frames are joined anyway.)
                    self._on_message(b"".join(parts).decode())
                    parts = []
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            self.closed = True

    def _send_control(self, opcode: int, data: bytes) -> None:
        if self._writer is not None:
            mask = os.urandom(4)
            self._writer.write(struct.pack("!BB", 0x80 | opcode, 0x80 | len(data)) + mask
                               + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    # --- Engine.IO / Socket.IO --------------------------------------------------------------------------------

    def _on_message(self, text: str) -> None:
        if text == "2":  # Engine.IO ping
            self._send_text("3")
            return
        prefix = f"42{NAMESPACE},"
        if not text.startswith(prefix):
            return
        name, *args = json.loads(text[len(prefix):])
        if name != "event" or not args:
            return
        update = args[0]
        self.updates += 1
        root = (update.get("delta") or {}).get(ROOT_STATE) or {}
        if root.get(IS_HYDRATED) is True:
            self.hydrated.set()
        if self.on_update is not None:
            self.on_update(self, update)
        for predicate, future in list(self.waiters):
            if not future.done() and predicate(update):
                future.set_result(update)
        if self.follow_events:
            for event in update.get("events") or ():
                if not str(event.get("name", "")).startswith("_"):  # frontend-only events are not sent back
                    self.send(event["name"], event.get("payload") or {})

    def send(self, name: str, payload: dict[str, Any] | None = None, path: str | None = None) -> None:
        """Send one event to the server, with this page's router data (or `path`'s)."""
        event = {"name": name, "payload": payload or {}, "router_data": router_data(path or self.path)}
        self._send_text(f"42{NAMESPACE}," + json.dumps(["event", event]))

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30.0) -> dict[str, Any]:
        """The next update matching `predicate` (registered before sending what triggers it)."""
        future = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self.waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self.waiters.remove(entry)

    def expect(self, predicate: Callable[[dict[str, Any]], bool]) -> asyncio.Future:
        """Register a waiter now (before sending); await the returned future later."""
        future = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self.waiters.append(entry)
        future.add_done_callback(lambda _f: self.waiters.remove(entry) if entry in self.waiters else None)
        return future

    def navigate(self, path: str) -> None:
        """What the frontend does on a client-side navigation: run the new page's on_load handlers."""
        self.path = path
        self.send(f"{ROOT_STATE}.reflex___state____on_load_internal_state.on_load_internal")

    async def close(self) -> None:
        self.closed = True
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
        if self._task is not None:
            self._task.cancel()


def now() -> float:
    return time.time()
