"""Give back the memory of pages that left: drop a closed tab's Reflex state from the worker's memory.

Reflex's disk state manager (the default without Redis) keeps every client's whole state tree in memory until the
token expires (hours), although it also writes it to disk. Here, when a socket disconnects and its token has not
reconnected within `GRACE_SECONDS`, the token's states are dropped from memory once they are written to disk (not
locked, no write pending); a tab that comes back later reloads its state from disk as after a restart. Only the
disk manager is handled; with Redis, Reflex keeps states in Redis with their own expiry.

Closed tokens are collected and swept in batches by one task (one pass over the manager's table per sweep, with
pauses for the event loop), so thousands of pages leaving at once cost one linear sweep, not one scan each.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import time
from typing import Any

from jo_app.live import gc_pauses

log = logging.getLogger(__name__)

GRACE_SECONDS = 5.0  # a tab that reconnects within this keeps its state in memory (later: reloaded from disk)
SWEEP_EVERY_SECONDS = 2.0  # a closed page's state goes between GRACE and GRACE + this after its socket closed
PURGE_EVERY_SECONDS = 60.0  # Reflex's scan of the states directory for expired files (one stat per file)
GIVE_UP_SECONDS = 120.0  # a token still locked or pending a write after this is left to Reflex's own expiry
_due: dict[str, float] = {}  # closed token -> time it was closed
_sweeper: asyncio.Task | None = None
TRIM_AFTER_TOKENS = 100  # a sweep that dropped at least this many pages gives the freed memory back to the OS ...
RELEASE_FRACTION = 0.25  # ... if they are also this share of the pages still open
stats = {"reclaimed_tokens": 0, "sweeps": 0, "trims": 0, "collected": 0}
_malloc_trim = None  # libc's malloc_trim once looked up (False: not available)
LATE_TRIM_SECONDS = 30.0  # > engine.io's ping interval (25 s)
_late_trim: asyncio.Task | None = None
_dropped_since_release = 0  # pages dropped since the last full collection


def install(app: Any) -> bool:
    """Wrap the app's socket.io disconnect handler (once per worker). Returns whether it was installed."""
    from reflex.istate.manager.disk import StateManagerDisk

    namespace = getattr(app, "event_namespace", None)
    manager = getattr(app, "_state_manager", None)
    if namespace is None or not isinstance(manager, StateManagerDisk) or getattr(namespace, "_jo_reclaim", False):
        return False
    original = namespace.on_disconnect

    def on_disconnect(sid: str):
        token = namespace.sid_to_token.get(sid)
        result = original(sid)
        if token:
            _due[token] = time.monotonic()
            _ensure_sweeper(namespace, manager)
        return result

    namespace.on_disconnect = on_disconnect
    namespace._jo_reclaim = True
    _throttle_disk_purge(manager)
    return True


def _throttle_disk_purge(manager: Any) -> None:
    """Scan the states directory for expired files once a minute, not at every write cycle.

    Reflex runs `_purge_expired_states` (a `stat` of every state file: about six per page ever opened) after each
    debounced write, every 2 s while pages open: its cost grew with the traffic of the last hour (the token
    expiry) and took a third of a page open's CPU after a few thousand pages. Files only need to go within the
    expiry, so one scan a minute is enough.
    """
    original = manager._purge_expired_states
    last = [time.monotonic()]  # the manager scanned when it was created

    def purge_expired_states() -> None:
        now = time.monotonic()
        if now - last[0] >= PURGE_EVERY_SECONDS:
            last[0] = now
            original()

    manager._purge_expired_states = purge_expired_states


def _ensure_sweeper(namespace: Any, manager: Any) -> None:
    global _sweeper
    if _sweeper is None or _sweeper.done():
        _sweeper = asyncio.get_running_loop().create_task(_sweep_loop(namespace, manager), name="jo-reclaim")


async def _sweep_loop(namespace: Any, manager: Any) -> None:
    while _due:
        await asyncio.sleep(SWEEP_EVERY_SECONDS)
        try:
            await _sweep(namespace, manager)
        except Exception:
            log.warning("could not reclaim the state of closed pages", exc_info=True)


async def _sweep(namespace: Any, manager: Any) -> None:
    now = time.monotonic()
    ready = {token for token, closed in _due.items() if now - closed >= GRACE_SECONDS}
    if not ready:
        return
    stats["sweeps"] += 1
    connected = namespace._token_manager.token_to_sid  # local tokens with a socket here
    for token in [t for t in ready if t in connected]:  # the tab came back
        ready.discard(token)
        _due.pop(token, None)
    pending = {queued.cache_key for queued in manager._write_queue}
    busy: set[str] = set()
    purged = 0
    for index, (cache_key, (_touched, state_token)) in enumerate(list(manager._token_last_touched.items())):
        if index % 2000 == 1999:
            await asyncio.sleep(0)  # let the event loop breathe during a large sweep
        ident = state_token.ident
        if ident not in ready:
            continue
        if cache_key in pending or manager._is_locked(state_token):
            busy.add(ident)
            continue
        manager._purge_token(state_token)
        purged += 1
    for token in ready:
        if token in busy and now - _due.get(token, now) < GIVE_UP_SECONDS:
            continue
        _due.pop(token, None)
        stats["reclaimed_tokens"] += 1
    global _dropped_since_release
    _dropped_since_release += purged
    # One full collection per wave of departures, once it is over (nothing left due): it walks the whole heap
    # (seconds with 10,000 pages open), so not one per sweep while pages are still leaving, and only when the pages
    # that left are a fair share of those still open (`release_due`).
    if not _due and release_due(_dropped_since_release, len(connected)):
        _dropped_since_release = 0
        await asyncio.to_thread(release_memory)
        _schedule_late_trim()


def release_due(dropped: int, still_open: int) -> bool:
    """Whether `dropped` pages left since the last whole walk are worth one: at least TRIM_AFTER_TOKENS, and at
    least RELEASE_FRACTION of the pages still open (the walk's cost grows with them: 100 pages leaving a room of
    20,000 would stop the process for seconds to free 0.5 % of its memory)."""
    return dropped >= max(TRIM_AFTER_TOKENS, RELEASE_FRACTION * still_open)


def _schedule_late_trim() -> None:
    """Trim once more when the closed sockets are gone too: engine.io keeps each closed socket (its queues, buffers)
    until its pending ping task wakes up, at most one ping interval after the close."""
    global _late_trim
    if _late_trim is None or _late_trim.done():
        async def later() -> None:
            await asyncio.sleep(LATE_TRIM_SECONDS)
            await asyncio.to_thread(release_memory)

        _late_trim = asyncio.get_running_loop().create_task(later(), name="jo-reclaim-trim")


def release_memory() -> int:
    """Collect the garbage of the pages just dropped, then give the freed heap back to the OS; returns the objects
    collected. A closed page leaves reference cycles (its state tree, its socket's queues and tasks) that only a full
    collection frees: without one, CPython's thresholds left 100+ MB of a 500-page departure in RSS for minutes
    (measured: RSS 331 MB 40 s after 500 pages left, 256 MB after one `gc.collect()`). One collection per sweep that
    dropped >= TRIM_AFTER_TOKENS pages (tens of ms), not one per page; it walks the frozen heap too
    (jo_app.live.gc_pauses)."""
    found = gc_pauses.thaw_and_collect()
    stats["collected"] += found
    trim_heap()
    return found


def trim_heap() -> bool:
    """Give the C heap's free memory back to the OS (glibc `malloc_trim`; a no-op elsewhere). Returns whether
    glibc was called. The states dropped above are freed by reference counting, but glibc keeps the pages of freed
    blocks for later allocations unless asked: after a large departure the process would keep its peak size."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if not _malloc_trim:
        return False
    _malloc_trim(0)
    stats["trims"] += 1
    return True
