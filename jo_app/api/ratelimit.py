"""Rate limits of the HTTP API: the shared limiter of `jo_app.services.ratelimit`, answering 429.

Each request is counted once per client address AND once per identity (e-mail, account, token hash): either limit
refuses with 429 `rate_limited` and a `Retry-After` header (seconds). The counters are the same as the websocket
handlers' (one limiter, in Redis when `REDIS_URL` is set).
"""

from __future__ import annotations

from jo_app.api.errors import ApiError
from jo_app.services.ratelimit import (  # noqa: F401 - re-exported for the API modules and tests
    SCOPES,
    _state,
    identity,
    limit_for,
    limits_for,
    reset,
    retry_after,
)


def enforce(scope: str, client_ip: str | None, *identities: str | int | None) -> None:
    """Like `retry_after`, raising 429 `rate_limited` with a Retry-After header when over the limit."""
    wait = retry_after(scope, client_ip, *identities)
    if wait is not None:
        raise ApiError(429, "rate_limited", f"Too many requests. Try again in {wait} seconds.",
                       headers={"Retry-After": str(wait)})
