"""The live hub: one socket.io room per public topic, one precomputed Reflex update per change and per process.

A page joins a topic's room on load (`join`); a change anywhere calls `notify(topic)`, which only marks the topic
dirty and returns (never awaits, callable from any thread). One pump task per topic then reads the topic's figures
once (its reader, in a worker thread), and sends ONE Reflex `StateUpdate` to the room: encoded once, the same
frame put on every socket's send queue (`jo_app.live.broadcast`, no task per socket). Pages that left cost nothing
(socket.io drops a disconnected sid from its rooms). Bursts coalesce: while a push runs, further notifications
collapse into one more push, at most one per topic interval. Across processes, `relay` (Redis pub/sub, when
REDIS_URL is set) forwards the topic name, and each process re-reads and emits to its own rooms.

Nothing here can block or delay an event handler: reads and emits run in the pump tasks with timeouts; a failed or
slow push only leaves a stale figure on the pages until the next one.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from reflex.state import StateUpdate

from jo_app.live import broadcast, engineio_tuning, rooms
from jo_app.live.topics import Reader, TopicSpec, delta_update, events_update

__all__ = ["NAMESPACE", "Hub", "Reader", "TopicSpec", "delta_update", "events_update", "hub"]

log = logging.getLogger(__name__)

NAMESPACE = "/_event"
READ_TIMEOUT = 5.0  # seconds for a topic reader (database)
EMIT_TIMEOUT = 5.0  # seconds to queue one update on every socket of a room
WELCOME_DELAY = 0.02  # pages that join a topic within this share ONE message with its current figures (`welcome`)
SNAPSHOT_MAX_AGE = 0.25  # a cached update older than this is re-read for a joining page (staleness of CLI changes)


class Hub:
    """Topics, rooms and pumps of one process."""

    def __init__(self) -> None:
        self._specs: dict[str, TopicSpec] = {}  # topic prefix -> spec (a topic is "<prefix>" or "<prefix>:<id>")
        self._app: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dirty: set[str] = set()
        self._pumps: dict[str, asyncio.Task] = {}
        self._cache: dict[str, tuple[float, StateUpdate]] = {}
        self._sent: dict[str, StateUpdate] = {}  # topic -> the last update every page of its room got
        self._apart = 0  # updates sent to some pages only, different from `_sent` (see `_sent_apart`)
        self._tasks: set[asyncio.Task] = set()
        self._welcomes: dict[str, tuple[int, asyncio.Task]] = {}  # topic -> (batch number, its pending task)
        self._welcome_batch = 0
        self.relay: Any = None  # jo_app.live.relay.Relay once started with a Redis URL
        self.pushes = 0  # updates emitted by this process (for tests and metrics)

    # --- set-up ------------------------------------------------------------------------------------------------

    def register(self, prefix: str, spec: TopicSpec) -> None:
        self._specs[prefix] = spec

    def bind(self, app: Any) -> None:
        """The Reflex app whose socket.io server holds the rooms (its `sio` is created lazily by Reflex)."""
        self._app = app

    def attach_loop(self) -> None:
        """Remember the server's event loop (notifications from worker threads are handed to it)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._attach(loop)

    def _attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._dirty.clear()
        self._pumps.clear()
        self._welcomes.clear()

    async def start(self, redis_url: str | None = None, channel: str = "") -> None:
        """Lifespan task: attach to this worker's loop, reclaim closed pages' memory, and start the relay when Redis
        is configured."""
        self.attach_loop()
        if self._app is not None:
            from jo_app.live import reclaim
            reclaim.install(self._app)
        if redis_url and self.relay is None:
            from jo_app.live.relay import Relay
            self.relay = Relay(self, redis_url, channel)
            self.relay.start()

    def _spec(self, topic: str) -> TopicSpec | None:
        return self._specs.get(topic.partition(":")[0])

    @property
    def _sio(self) -> Any:
        return getattr(self._app, "sio", None) if self._app is not None else None

    # --- pages -------------------------------------------------------------------------------------------------

    @staticmethod
    def room(topic: str) -> str:
        return f"live:{topic}"

    async def join(self, sid: str | None, topic: str, *, leave_prefix: bool = False, ping_every: float = 0) -> None:
        """Put the page's socket in the topic's room (from an event handler of that page); `leave_prefix`: leave the
        other rooms of the same prefix first (a gate device); `ping_every`: seconds between its socket's pings."""
        self.attach_loop()
        sio = self._sio
        if not sid or sio is None:
            return
        if ping_every:
            engineio_tuning.ping_every(sio, sid, NAMESPACE, ping_every)
        prefix = self.room(topic.partition(":")[0]) + ":"
        for room in rooms.rooms_of(sio.manager, sid, NAMESPACE, prefix) if leave_prefix else ():
            if room != self.room(topic):
                await sio.leave_room(sid, room, namespace=NAMESPACE)
        rooms.remember(prefix, self.room(topic))
        await sio.enter_room(sid, self.room(topic), namespace=NAMESPACE)

    async def leave(self, sid: str | None, topic: str) -> None:
        """Take the page's socket out of the topic's room (no-op when it is not in it)."""
        sio = self._sio
        if sid and sio is not None and sid in getattr(sio.manager, "rooms", {}).get(NAMESPACE, {}).get(
                self.room(topic), ()):
            await sio.leave_room(sid, self.room(topic), namespace=NAMESPACE)

    async def welcome(self, sid: str | None, topic: str) -> None:
        """`join`, then the topic's current figures, sent within WELCOME_DELAY in ONE message to every page that
        joined meanwhile (a burst of page loads costs one encoding per batch, not one per page). Returns at once;
        errors are logged, never raised."""
        await self.join(sid, topic)
        sio = self._sio
        if not sid or sio is None:
            return
        pending = self._welcomes.get(topic)
        if pending is None:
            self._welcome_batch += 1
            task = asyncio.get_running_loop().create_task(self._welcome(topic, self._welcome_batch),
                                                          name=f"live-welcome:{topic}")
            self._tasks.add(task)  # a strong reference until done (the loop only keeps weak ones)
            task.add_done_callback(self._tasks.discard)
            pending = self._welcomes[topic] = (self._welcome_batch, task)
        await sio.enter_room(sid, self._welcome_room(topic, pending[0]), namespace=NAMESPACE)

    def _welcome_room(self, topic: str, batch: int) -> str:
        return f"{self.room(topic)}#welcome{batch}"

    async def _welcome(self, topic: str, batch: int) -> None:
        room = self._welcome_room(topic, batch)
        try:
            await asyncio.sleep(WELCOME_DELAY)
        finally:
            self._welcomes.pop(topic, None)  # pages joining from now on wait for the next batch
        sio = self._sio
        try:
            try:
                update = await self.snapshot(topic)
            except Exception:  # a slow database under a burst of page loads: the last figures pushed, if any
                update = (self._cache.get(topic) or (0.0, None))[1]
            if update is not None and sio is not None:
                self._sent_apart(topic, update)
                await asyncio.wait_for(sio.emit("event", update, to=room, namespace=NAMESPACE), EMIT_TIMEOUT)
        except Exception:
            log.warning("live welcome of %s failed", topic, exc_info=True)
        finally:
            if sio is not None:
                await sio.close_room(room, namespace=NAMESPACE)

    async def snapshot(self, topic: str) -> StateUpdate | None:
        """The topic's current update: the last one pushed if recent, else read now (in a thread)."""
        cached = self._cache.get(topic)
        if cached is not None and time.monotonic() - cached[0] < SNAPSHOT_MAX_AGE:
            return cached[1]
        spec = self._spec(topic)
        if spec is None:
            return None
        update = await asyncio.wait_for(asyncio.to_thread(spec.reader, topic), READ_TIMEOUT)
        if update is not None:
            self._cache[topic] = (time.monotonic(), update)
        return update

    async def send_snapshot(self, sid: str | None, topic: str) -> None:
        """Send the topic's current figures to one page (after `join`). Errors are logged, never raised."""
        sio = self._sio
        if not sid or sio is None:
            return
        try:
            try:
                update = await self.snapshot(topic)
            except Exception:  # a slow database under a burst of page loads: the last figures pushed, if any
                update = (self._cache.get(topic) or (0.0, None))[1]
            if update is not None:
                self._sent_apart(topic, update)
                await asyncio.wait_for(sio.emit("event", update, to=sid, namespace=NAMESPACE), EMIT_TIMEOUT)
        except Exception:
            log.warning("live snapshot of %s for %s failed", topic, sid, exc_info=True)

    # --- changes -----------------------------------------------------------------------------------------------

    def notify(self, topic: str, *, relay: bool = True) -> None:
        """The figures of `topic` changed: push them to its room soon, here and (with `relay`) in every other
        process. Returns at once; safe from the event loop and from worker threads; never raises."""
        try:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            loop = self._loop
            if running is not None and running is not loop and (
                    loop is None or loop.is_closed() or not loop.is_running()):
                self._attach(running)  # first use, or the previous loop is gone (tests restart theirs)
                loop = running
            if loop is None or loop.is_closed():
                log.debug("live notify(%s) without a server loop (thread %s)", topic, threading.get_ident())
            elif running is loop:
                self._mark(topic, relay)
            else:
                loop.call_soon_threadsafe(self._mark, topic, relay)
        except Exception:
            log.warning("live notify(%s) failed", topic, exc_info=True)

    def _mark(self, topic: str, relay: bool) -> None:
        if relay and self.relay is not None:
            self.relay.publish(topic)
        spec = self._spec(topic)
        if spec is None:
            return
        if spec.on_change is not None:
            spec.on_change(topic)
        self._dirty.add(topic)
        if topic not in self._pumps:
            task = asyncio.get_running_loop().create_task(self._pump(topic), name=f"live-pump:{topic}")
            self._pumps[topic] = task

    def _sent_apart(self, topic: str, update: StateUpdate) -> None:
        """Some pages of the room get `update` on their own (a joining page): unless it is what the room was last
        sent, the room no longer has one figure in common (the next read is pushed even if unchanged)."""
        if self._sent.get(topic) != update:
            self._sent.pop(topic, None)
            self._apart += 1

    async def _pump(self, topic: str) -> None:
        spec = self._spec(topic)
        delay = spec.interval if spec is not None else 0.0
        try:
            while spec is not None and topic in self._dirty:
                self._dirty.discard(topic)
                await self._push(topic, spec)
                await asyncio.sleep(delay)
                if spec.burst_interval is not None:
                    delay = min(max(delay * 2, spec.interval), spec.burst_interval)
        finally:
            self._pumps.pop(topic, None)

    def pages(self, topic: str) -> int:
        """How many sockets of this process are in the topic's room."""
        return broadcast.room_size(self._sio, NAMESPACE, self.room(topic)) if self._sio is not None else 0

    def send_to(self, topic: str, update: StateUpdate, sids: Iterable[str]) -> int:
        """Queue `update` (encoded once) on those of `sids` that are in the topic's room here; returns how many."""
        self._sent_apart(topic, update)
        return broadcast.send_to(self._sio, "event", update, NAMESPACE, self.room(topic), sids) if self._sio else 0

    async def _push(self, topic: str, spec: TopicSpec) -> None:
        if not self.pages(topic):  # nobody here shows it: no read, and the next joiner reads afresh
            self._cache.pop(topic, None)
            self._sent.pop(topic, None)
            return
        try:
            update = await asyncio.wait_for(asyncio.to_thread(spec.reader, topic), READ_TIMEOUT)
        except Exception:
            log.warning("live read of %s failed", topic, exc_info=True)
            return
        if update is None:
            return
        self._cache[topic] = (time.monotonic(), update)
        sio = self._sio
        if sio is None:
            return
        if spec.skip_unchanged and self._sent.get(topic) == update:  # every page of the room shows these figures
            return
        self._sent.pop(topic, None)  # (unknown until this broadcast is through)
        apart = self._apart
        try:
            await asyncio.wait_for(broadcast.broadcast(sio, "event", update, NAMESPACE, self.room(topic)),
                                   EMIT_TIMEOUT)  # encoded once, queued on each socket (jo_app.live.broadcast)
            self.pushes += 1
            if spec.skip_unchanged and apart == self._apart:  # no page got other figures meanwhile
                self._sent[topic] = update
        except Exception:
            log.warning("live push of %s failed", topic, exc_info=True)

    async def idle(self, timeout: float = 5.0) -> None:
        """Wait until no push is pending (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while (self._pumps or self._dirty) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)


hub = Hub()
