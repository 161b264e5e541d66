"""The server's CPU per queue tick with N waiting sockets in the room, python-socketio's `emit` vs the hub's
`broadcast` (jo_app.live.broadcast), back to back on the same server and sockets (prints figures; not a test).

Run: `.venv/bin/python -m benchmarks.broadcast_fanout [--sockets 2000,5000,10000,20000] [--ticks 5] [--port 3340]`

One Granian worker serves benchmarks/broadcast_app.py (a socket.io server configured as Reflex's). Client processes
open raw websocket connections (Engine.IO 4, namespace `/_event`), join the room `live:queue:1` and then only
receive. A control connection asks the server for ticks, alternating `emit` and `broadcast`; each tick sends one
queue board (what a waiting page receives every second) to the room. For each tick: the server's CPU (its process
group, from /proc) from the request until every socket has the board and the server is quiet again, minus the
idle baseline, and the time until the last socket got it. Pages here skip Reflex's hydrate and state (see
benchmarks/waiting_room_live.py for whole pages); the fan-out itself is the same code path.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing
import os
import signal
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.http import _cpu_seconds, _group_pids

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
NAMESPACE = "/_event"


class Socket:
    """A raw Engine.IO 4 websocket on `/_event` that answers pings and counts the boards it receives."""

    def __init__(self) -> None:
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.boards = 0
        self.last = 0.0
        self.joined = asyncio.Event()
        self.replies: dict[int, asyncio.Future] = {}
        self.next_ack = 1

    async def open(self, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, port, limit=2 ** 20)
        key = base64.b64encode(os.urandom(16)).decode()
        self.writer.write((f"GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head[:200])
        asyncio.get_running_loop().create_task(self._read_loop())
        self.send(f"40{NAMESPACE},")

    def send(self, text: str) -> None:
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        header = struct.pack("!BB", 0x81, 0x80 | n) if n < 126 else struct.pack("!BBH", 0x81, 0xFE, n)
        assert self.writer is not None
        self.writer.write(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    async def call(self, event: str, *args: object) -> object:
        ack, self.next_ack = self.next_ack, self.next_ack + 1
        future = asyncio.get_running_loop().create_future()
        self.replies[ack] = future
        self.send(f"42{NAMESPACE},{ack}" + json.dumps([event, *args]))
        return await future

    async def _read_loop(self) -> None:
        assert self.reader is not None
        try:
            while True:
                _first, second = await self.reader.readexactly(2)
                length = second & 0x7F
                if length == 126:
                    (length,) = struct.unpack("!H", await self.reader.readexactly(2))
                elif length == 127:
                    (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
                text = (await self.reader.readexactly(length)).decode()
                if text == "2":
                    self.send("3")
                elif text.startswith(f"40{NAMESPACE},"):
                    self.joined.set()
                elif text.startswith(f"42{NAMESPACE},"):
                    self.boards += 1
                    self.last = time.time()
                elif text.startswith(f"43{NAMESPACE},"):
                    body = text[len(f"43{NAMESPACE},"):]
                    split = body.index("[")
                    future = self.replies.pop(int(body[:split]), None)
                    if future is not None and not future.done():
                        future.set_result(json.loads(body[split:])[0])
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass


def _holder(port: int, count: int, conn) -> None:
    async def main() -> None:
        sockets = [Socket() for _ in range(count)]
        for start in range(0, count, 200):
            batch = sockets[start:start + 200]
            await asyncio.gather(*(s.open(port) for s in batch))
            await asyncio.gather(*(asyncio.wait_for(s.joined.wait(), 60) for s in batch))
            await asyncio.gather(*(s.call("join", "queue:1") for s in batch))
        conn.send(len(sockets))
        loop = asyncio.get_running_loop()
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command == "close":
                break
            conn.send((sum(s.boards for s in sockets), max((s.last for s in sockets), default=0.0)))

    asyncio.run(main())


def _received(links) -> tuple[int, float]:
    for _proc, parent in links:
        parent.send("count")
    parts = [parent.recv() for _proc, parent in links]
    return sum(p[0] for p in parts), max(p[1] for p in parts)


def _server_cpu(server: subprocess.Popen) -> float:
    return sum(_cpu_seconds(pid) for pid in _group_pids(server.pid))


def measure(port: int, server: subprocess.Popen, total: int, ticks: int, processes: int, idle_window: float) -> None:
    links = []
    share = [total // processes + (1 if i < total % processes else 0) for i in range(processes)]
    for count in share:
        parent, child = multiprocessing.Pipe()
        proc = multiprocessing.Process(target=_holder, args=(port, count, child), daemon=True)
        proc.start()
        links.append((proc, parent))
    opened = sum(parent.recv() for _proc, parent in links)

    async def control() -> None:
        ctl = Socket()
        await ctl.open(port)
        await asyncio.wait_for(ctl.joined.wait(), 30)
        await asyncio.sleep(3.0)
        before, started = _server_cpu(server), time.monotonic()
        await asyncio.sleep(idle_window)
        idle = (_server_cpu(server) - before) / (time.monotonic() - started)  # CPU seconds per second (pings)
        results: dict[str, list[tuple[float, float, float]]] = {"emit": [], "broadcast": []}
        expected, _last = _received(links)
        for i in range(ticks * 2):
            mode = ("emit", "broadcast")[i % 2]
            cpu0, wall0, sent_at = _server_cpu(server), time.monotonic(), time.time()
            call_seconds = await ctl.call("tick", mode)
            expected += opened
            while True:
                got, last = _received(links)
                if got >= expected or time.monotonic() - wall0 > 60:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # writers done, nothing left queued
            used = _server_cpu(server) - cpu0 - idle * (time.monotonic() - wall0)
            results[mode].append((used, last - sent_at, call_seconds))
            if got < expected:
                print(f"  tick {i} ({mode}): only {got - expected + opened} of {opened} sockets got it")
                expected = got
            await asyncio.sleep(0.5)
        load = os.getloadavg()
        ping = float(os.environ.get("BENCH_PING_INTERVAL", "25"))
        print(f"{opened} sockets (load {load[0]:.1f}), server idle {idle * 100:.1f} % of a core over "
              f"{idle_window:.0f} s (pings every {ping:.0f} s: {idle * ping / max(opened, 1) * 1e6:.0f} us per socket "
              "and ping):")
        for mode, rows in results.items():
            cpu = statistics.median(r[0] for r in rows)
            print(f"  {mode:9}: server CPU per tick {cpu * 1000:.0f} ms ({cpu / opened * 1e6:.1f} us per socket), "
                  f"the call itself {statistics.median(r[2] for r in rows) * 1000:.1f} ms, last socket served "
                  f"after {statistics.median(r[1] for r in rows) * 1000:.0f} ms (medians of {len(rows)} ticks)")

    try:
        asyncio.run(control())
    finally:
        for _proc, parent in links:
            with contextlib.suppress(OSError):
                parent.send("close")
        for proc, _parent in links:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()


def _loop_name() -> str:
    """The loop Granian's `--loop auto` (its default) picks here: rloop, then uvloop, when installed."""
    import importlib.util

    return next((name for name in ("rloop", "uvloop") if importlib.util.find_spec(name)), "asyncio")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", default="2000,5000,10000,20000", help="room sizes, comma-separated")
    parser.add_argument("--ticks", type=int, default=5, help="ticks per mode and room size")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--idle", type=float, default=5.0,
                        help="seconds of the idle baseline; a whole ping interval covers one ping per socket")
    parser.add_argument("--ping-interval", type=float, default=25.0, help="the server's Engine.IO ping interval")
    parser.add_argument("--port", type=int, default=3340, help="first port (one more per room size)")
    parser.add_argument("--granian-arg", action="append", default=[], metavar="ARG",
                        help="extra Granian option, e.g. --granian-arg=--loop=asyncio (repeatable)")
    args = parser.parse_args()
    os.environ["BENCH_PING_INTERVAL"] = str(args.ping_interval)  # read by benchmarks/broadcast_app.py
    loop = next((a.split("=", 1)[1] for a in args.granian_arg if a.startswith("--loop=")), f"auto: {_loop_name()}")
    print(f"Broadcast fan-out: Granian 1 worker (event loop {loop}), "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores (shared machine)")
    for step, n in enumerate(int(x) for x in args.sockets.split(",")):
        port = args.port + step  # a fresh port per room size (the previous server may still be closing)
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--host", HOST, "--port",
             str(port), "--workers", "1", "--log-level", "warning", *args.granian_arg, "benchmarks.broadcast_app:app"],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT),
                                                                                    os.environ.get("PYTHONPATH"))))},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    asyncio.run(asyncio.wait_for(asyncio.open_connection(HOST, port), 1))
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
            measure(port, server, n, args.ticks, args.client_processes, args.idle)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:  # Granian waits for the websockets to end: not ours to wait
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=15)


if __name__ == "__main__":
    main()
