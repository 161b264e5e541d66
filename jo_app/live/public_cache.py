"""Public page data shared by every client of a process (catalogue searches, session pages, home figures).

Thousands of open shop pages would otherwise each run the same query and keep their own copy of the same rows in
their Reflex state. `shared(key, loader)` returns one result object per key for a few seconds: every client state
that loads it holds a reference to that one object (states assign it, never mutate it in place). Entries are
dropped when the catalogue changes (`clear()`, called by the live `catalogue` topic in every process), and after
`PUBLIC_CACHE_SECONDS` (default 5) at the latest: a change written behind the app's back (the CLI, a script) shows
within that time. Live seats left are pushed separately (`stock`), so the figures inside are only fallbacks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from jo_app.config import get_settings

MAX_ENTRIES = 512

_entries: dict[Hashable, tuple[float, Any]] = {}
_lock = threading.Lock()


def shared(key: Hashable, loader: Callable[[], Any]) -> Any:
    """The cached value of `key`, or `loader()` (blocking; called outside the lock) kept for PUBLIC_CACHE_SECONDS."""
    now = time.monotonic()
    hit = _entries.get(key)
    if hit is not None and now - hit[0] < get_settings().public_cache_seconds:
        return hit[1]
    value = loader()
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[key] = (now, value)
    return value


def peek(key: Hashable) -> Any | None:
    """The cached value of `key` if still fresh, else None (never loads: callable on the event loop)."""
    hit = _entries.get(key)
    if hit is not None and time.monotonic() - hit[0] < get_settings().public_cache_seconds:
        return hit[1]
    return None


def clear() -> None:
    with _lock:
        _entries.clear()
