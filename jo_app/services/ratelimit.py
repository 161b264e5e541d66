"""Shared rate limits (the `limits` library, sliding window counter: O(1) a hit), for the HTTP API, the websocket
handlers and the services alike (plain Python, no web framework import).

Scopes and their settings (`jo_app.config`, "N/period" or several joined by ";"): login (token, refresh),
register, orders (checkout), scans, code_request (asking for an e-mailed code), code_guess (typing one). Each call
is counted once per client address AND once per identity (e-mail, account, token hash): either limit refuses.

Storage: `memory://` (this process) by default; Redis when `REDIS_URL` is set, so every worker and both entry
points (websocket, REST) share the counters. Keys are namespaced by `RATE_LIMIT_PREFIX`. If Redis is unreachable
the call is allowed and the failure logged (rate limiting must not take the shop down; the code-guessing
defences keep a database backstop, see `accounts_codes`).
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from functools import lru_cache

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from jo_app.config import get_settings

log = logging.getLogger(__name__)

SCOPES = ("login", "register", "orders", "scans", "code_request", "code_guess")
_lock = threading.Lock()
_state: dict[str, tuple[Storage, SlidingWindowCounterRateLimiter]] = {}


class _MemoryStorage(MemoryStorage):
    """`limits`' memory storage without its expiry timer thread: the stock one starts a new `threading.Timer`
    whenever the previous one ended (about every request under load), and waiting for a thread to start costs
    milliseconds on a busy host. Expired keys are already ignored on read; here they are swept inline at most
    once per second."""

    _next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - overrides the name-mangled private hook
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + 1.0
            self._MemoryStorage__expire_events()


def new_limiter(uri: str) -> tuple[Storage, SlidingWindowCounterRateLimiter]:
    """A storage and limiter for `uri` ("memory://" or a redis:// URL). Two limiters on the same Redis share
    their counters, as two worker processes do."""
    storage = _MemoryStorage() if uri == "memory://" else storage_from_string(uri)
    return storage, SlidingWindowCounterRateLimiter(storage)


def _limiter() -> tuple[Storage, SlidingWindowCounterRateLimiter]:
    uri = get_settings().redis_url or "memory://"
    with _lock:
        if uri not in _state:
            _state[uri] = new_limiter(uri)
        return _state[uri]


def reset() -> None:
    """Forget every counter (tests)."""
    with _lock:
        for storage, _ in _state.values():
            storage.reset()


@lru_cache(maxsize=64)
def _parse(text: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(text))


def limits_for(scope: str) -> tuple[RateLimitItem, ...]:
    """The limits of `scope` from the settings (one or more windows)."""
    return _parse(getattr(get_settings(), f"rate_limit_{scope}"))


def limit_for(scope: str) -> RateLimitItem:
    """The first (shortest) limit of `scope`."""
    return limits_for(scope)[0]


def identity(value: str | int | None) -> str:
    """A fixed-length, non-reversible key for an e-mail address or token (never stored in clear)."""
    return hashlib.sha256(str(value).strip().lower().encode()).hexdigest()[:32]


def retry_after(scope: str, client_ip: str | None, *identities: str | int | None,
                limiter: tuple[Storage, SlidingWindowCounterRateLimiter] | None = None) -> int | None:
    """Count one call of `scope` for the client address and each identity: None when allowed, else the seconds
    to wait. `limiter` overrides the process-wide one (tests: two limiters on one Redis)."""
    settings = get_settings()
    if not settings.rate_limits_enabled:
        return None
    items = limits_for(scope)
    keys = [f"ip:{client_ip or 'unknown'}"] + [f"id:{identity(i)}" for i in identities if i not in (None, "")]
    prefix = settings.rate_limit_prefix
    try:
        _storage, strategy = limiter or _limiter()
        refused = [(item, key) for item in items for key in keys if not strategy.hit(item, prefix, scope, key)]
        if not refused:
            return None
        reset_at = max(strategy.get_window_stats(item, prefix, scope, key).reset_time for item, key in refused)
    except Exception:  # storage down: fail open, but say so
        log.exception("rate limit storage unavailable (scope %s)", scope)
        return None
    return max(1, math.ceil(reset_at - time.time()))
