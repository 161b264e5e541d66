"""Rate limits for the sensitive HTTP endpoints, with the `limits` library (sliding window counter: O(1) a hit).

Scopes and their settings (`jo_app.config`): login (token, refresh), register, orders (checkout), scans. Each
request is counted once per client address AND once per identity (e-mail, account, token hash): either limit
refuses with 429 `rate_limited` and a `Retry-After` header (seconds).

Storage: `memory://` (this process) by default; Redis when `REDIS_URL` is set, so every worker shares the counters.
If Redis is unreachable the request is allowed and the failure logged (rate limiting must not take the shop down).
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from jo_app.api.errors import ApiError
from jo_app.config import get_settings

log = logging.getLogger(__name__)

SCOPES = ("login", "register", "orders", "scans")
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


def _limiter() -> tuple[Storage, SlidingWindowCounterRateLimiter]:
    uri = get_settings().redis_url or "memory://"
    with _lock:
        if uri not in _state:
            storage = _MemoryStorage() if uri == "memory://" else storage_from_string(uri)
            _state[uri] = (storage, SlidingWindowCounterRateLimiter(storage))
        return _state[uri]


def reset() -> None:
    """Forget every counter (tests)."""
    with _lock:
        for storage, _ in _state.values():
            storage.reset()


@lru_cache(maxsize=64)
def _parse(text: str) -> RateLimitItem:
    return parse(text)


def limit_for(scope: str) -> RateLimitItem:
    return _parse(getattr(get_settings(), f"rate_limit_{scope}"))


def identity(value: str | int | None) -> str:
    """A fixed-length, non-reversible key for an e-mail address or token (never stored in clear)."""
    return hashlib.sha256(str(value).strip().lower().encode()).hexdigest()[:32]


def retry_after(scope: str, client_ip: str | None, *identities: str | int | None) -> int | None:
    """Count one request of `scope` for the client address and each identity: None when allowed, else the seconds
    to wait. For callers outside the HTTP API too (e.g. websocket handlers of the login and sign-up forms)."""
    settings = get_settings()
    if not settings.rate_limits_enabled:
        return None
    item = limit_for(scope)
    keys = [f"ip:{client_ip or 'unknown'}"] + [f"id:{identity(i)}" for i in identities if i not in (None, "")]
    try:
        _storage, limiter = _limiter()
        refused = [key for key in keys if not limiter.hit(item, "jo", scope, key)]
        if not refused:
            return None
        reset_at = max(limiter.get_window_stats(item, "jo", scope, key).reset_time for key in refused)
    except Exception:  # storage down: fail open, but say so
        log.exception("rate limit storage unavailable (scope %s)", scope)
        return None
    return max(1, math.ceil(reset_at - time.time()))


def enforce(scope: str, client_ip: str | None, *identities: str | int | None) -> None:
    """Like `retry_after`, raising 429 `rate_limited` with a Retry-After header when over the limit."""
    wait = retry_after(scope, client_ip, *identities)
    if wait is not None:
        raise ApiError(429, "rate_limited", f"Too many requests. Try again in {wait} seconds.",
                       headers={"Retry-After": str(wait)})
