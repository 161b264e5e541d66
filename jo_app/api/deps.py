"""FastAPI dependencies: database session, caller identity (bearer JWT or session cookie), roles, client address.

Identity, on every request:
- `Authorization: Bearer <jwt>`: the token is verified (`api.tokens`), then its session (`sid`, a primary-key
  lookup joined with the user) must still be alive (not revoked, not expired, not idle) and belong to `sub`, and
  the user must be active. The role used is the one in the database, never the token's claim.
- otherwise the `jo_session` HttpOnly cookie of the web app, resolved like the web pages do. For state-changing
  methods a cookie is only honoured on same-origin requests (CSRF defence on top of SameSite=Lax).
Any other `Authorization` scheme, or a bad token, gives 401 (a bad bearer token never falls back to the cookie).

Two steps: `optional_credentials` (async, no I/O: headers, token signature and expiry) then `authenticate` (the
database checks, in a worker thread). Ordinary routes get both through `optional_principal`/`require_roles`; the
hot endpoints (orders, scans) take `caller` and call `authenticate`/`authorize` in their one worker thread hop,
together with the service call (`jo_app.api.offload`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Dialect, Engine
from sqlmodel import Session

from jo_app.api.errors import ApiError, unauthorized
from jo_app.api.tokens import AccessClaims, TokenError, decode_access_token
from jo_app.config import get_settings
from jo_app.db import get_engine
from jo_app.models import Role, User, UserSession
from jo_app.services.accounts import sessions
from jo_app.timeutil import utcnow

SESSION_COOKIE = "jo_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer_scheme = HTTPBearer(auto_error=False, scheme_name="bearer", bearerFormat="JWT",
                           description="Access token from POST /api/v1/auth/token (15 minutes).")
cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, scheme_name="session_cookie",
                             description="The web app's HttpOnly session cookie (same-origin requests only).")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    user_id: int
    role: str
    session_id: int
    via: str  # "bearer" or "cookie"
    email: str
    first_name: str
    is_verified: bool


async def get_db_engine() -> Engine:
    """The engine of the configured database (tests override this dependency). Cheap dependencies are `async`
    so FastAPI does not hop to its threadpool for them; the ones doing I/O stay plain `def`."""
    return get_engine()


def get_db(engine: Engine = Depends(get_db_engine)) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@lru_cache(maxsize=1)
def trusted_proxy_hops() -> int:
    """Reflex's `trusted_proxy_hops` (rxconfig / REFLEX_TRUSTED_PROXY_HOPS): 0 ignores X-Forwarded-For."""
    try:
        from reflex.config import get_config

        return max(0, int(get_config().trusted_proxy_hops or 0))
    except Exception:  # no rxconfig (e.g. the API served alone): trust no header
        return 0


def preferred_lang(request: Request) -> str:
    """The first of "fr" / "en" in the request's Accept-Language, by q-value (French when neither is named)."""
    best, best_q = "fr", -1.0
    for part in request.headers.get("accept-language", "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower()[:2]
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            q = 0.0
        if lang in ("fr", "en") and q > best_q:
            best, best_q = lang, q
    return best


def client_ip(request: Request) -> str | None:
    """The client address, resolved exactly like Reflex does for the websocket: X-Forwarded-For is honoured only
    behind the configured number of trusted proxies (else a client could pick its own rate-limit bucket, and
    behind nginx every client would share nginx's address and lockout)."""
    address = request.client.host if request.client else None
    hops = trusted_proxy_hops()
    if hops:
        forwarded = [ip.strip() for ip in request.headers.get("x-forwarded-for", "").split(",") if ip.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    return address[:45] if address else None


def same_origin(request: Request) -> bool:
    """The request comes from this site's own pages (Sec-Fetch-Site, else Origin against Host): a state change
    by cookie is refused otherwise (CSRF)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return urlsplit(origin).netloc == request.headers.get("host", "")


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request presents, checked without I/O: verified bearer claims, or the session cookie."""

    claims: AccessClaims | None = None
    cookie: str | None = None
    may_change_state: bool = True  # cookie only: a safe method, or a same-origin request (CSRF defence)


_US, _U = UserSession.__table__, User.__table__
# Plain columns, one primary-key lookup on the session's connection: no ORM compile or objects per request.
_BEARER_SESSION = (
    select(_US.c.user_id, _US.c.revoked_at, _US.c.expires_at, _US.c.last_seen_at, _U.c.role, _U.c.is_locked,
           _U.c.anonymized_at, _U.c.email, _U.c.first_name, _U.c.is_verified)
    .join(_U, _U.c.id == _US.c.user_id)
    .where(_US.c.id == bindparam("session_id"))
)


class _SessionRow(NamedTuple):
    user_id: int
    revoked_at: datetime | None
    expires_at: datetime
    last_seen_at: datetime
    role: str
    is_locked: bool
    anonymized_at: datetime | None
    email: str
    first_name: str
    is_verified: bool


@lru_cache(maxsize=4)
def _driver_sql(dialect: Dialect) -> str:
    return str(_BEARER_SESSION.compile(dialect=dialect))


def bearer_session_row(db: Session, session_id: int) -> _SessionRow | None:
    """The token's session and user. On PostgreSQL straight on the driver's cursor (the statement compiled once):
    SQLAlchemy's execution context and result objects cost about as much CPU as the query itself (~75 us), on every
    authenticated request. Any driver error re-runs it through SQLAlchemy, whose error handling (wrapping,
    disconnect detection and pool invalidation) then applies as usual."""
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        try:
            with connection.connection.driver_connection.cursor() as cursor:
                cursor.execute(_driver_sql(connection.dialect), {"session_id": session_id})
                row = cursor.fetchone()
            return None if row is None else _SessionRow(*row)
        except connection.dialect.loaded_dbapi.Error:
            pass
    row = connection.execute(_BEARER_SESSION, {"session_id": session_id}).first()
    return None if row is None else _SessionRow(*row)


def _from_bearer(db: Session, claims: AccessClaims) -> Principal:
    row = bearer_session_row(db, claims.session_id)
    if row is None:
        raise unauthorized("Invalid or expired access token.", "invalid_token")
    now = utcnow()
    idle_limit = now - timedelta(seconds=get_settings().session_idle_seconds)
    alive = row.revoked_at is None and row.expires_at > now and row.last_seen_at > idle_limit
    if not alive or row.user_id != claims.user_id or row.is_locked or row.anonymized_at is not None:
        raise unauthorized("This token has been revoked or has expired.", "token_revoked")
    return Principal(user_id=row.user_id, role=row.role, session_id=claims.session_id, via="bearer", email=row.email,
                     first_name=row.first_name, is_verified=row.is_verified)


def _credentials(request: Request, credentials: HTTPAuthorizationCredentials | None,
                 cookie: str | None) -> Credentials | None:
    if credentials is not None:
        try:
            return Credentials(claims=decode_access_token(credentials.credentials))
        except TokenError:
            raise unauthorized("Invalid or expired access token.", "invalid_token") from None
    if request.headers.get("authorization"):
        raise unauthorized("Use 'Authorization: Bearer <token>'.", "invalid_token")
    if not cookie:
        return None
    return Credentials(cookie=cookie, may_change_state=request.method in SAFE_METHODS or same_origin(request))


async def optional_credentials(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Security(bearer_scheme),
    cookie: str | None = Security(cookie_scheme),
) -> Credentials | None:
    """The request's credentials (None when anonymous); 401 for a bad token or another Authorization scheme."""
    return _credentials(request, credentials, cookie)


@dataclass(frozen=True, slots=True)
class Caller:
    """The hot endpoints' one dependency: the caller's credentials (not yet checked against the database) and the
    database engine."""

    credentials: Credentials
    engine: Engine


# The security requirements FastAPI documents for `optional_credentials`, for routes using `caller` instead.
CALLER_SECURITY = {"security": [{bearer_scheme.scheme_name: []}, {cookie_scheme.scheme_name: []}]}


async def caller(request: Request) -> Caller:
    """`optional_credentials` (401 when anonymous) + `get_db_engine` in ONE dependency without sub-dependencies:
    FastAPI resolves every dependency of a route again on each request (a few tens of microseconds each), which
    counts on the hot endpoints. Same checks, same security schemes (called directly); routes document them with
    `openapi_extra=CALLER_SECURITY`. `get_db_engine` overrides (tests) are honoured."""
    found = _credentials(request, await bearer_scheme(request), await cookie_scheme(request))
    if found is None:
        raise unauthorized()
    engine_getter = getattr(request.app, "dependency_overrides", {}).get(get_db_engine, get_db_engine)
    engine = engine_getter()
    if inspect.isawaitable(engine):
        engine = await engine
    return Caller(found, engine)


def authenticate(db: Session, credentials: Credentials) -> Principal:
    """The caller behind `credentials`, checked against the database (blocking: call it in a worker thread)."""
    if credentials.claims is not None:
        return _from_bearer(db, credentials.claims)
    info = sessions.resolve_session(db, credentials.cookie)
    if info is None:
        raise unauthorized("Your session has expired. Please log in again.", "session_expired")
    if not credentials.may_change_state:
        raise ApiError(403, "cross_site_request", "Cross-site requests with the session cookie are refused.")
    return Principal(user_id=info.user_id, role=info.role, session_id=info.session_id, via="cookie",
                     email=info.email, first_name=info.first_name, is_verified=info.is_verified)


def authorize(principal: Principal, allowed: frozenset[str]) -> Principal:
    """`principal` when its role (from the database) is in `allowed`, else 403."""
    if principal.role not in allowed:
        raise ApiError(403, "forbidden", "You are not allowed to do this.")
    return principal


def optional_principal(
    db: Session = Depends(get_db),
    credentials: Credentials | None = Depends(optional_credentials),
) -> Principal | None:
    """The caller, or None when anonymous; 401 for bad credentials."""
    return None if credentials is None else authenticate(db, credentials)


async def current_principal(principal: Principal | None = Depends(optional_principal)) -> Principal:
    """The caller; 401 when anonymous."""
    if principal is None:
        raise unauthorized()
    return principal


def role_values(*roles: Role) -> frozenset[str]:
    return frozenset(r.value for r in roles)


STAFF_ROLES = role_values(Role.EMPLOYEE, Role.ADMIN)


def require_roles(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting only callers whose role (from the database) is one of `roles`."""
    allowed = role_values(*roles)

    async def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        return authorize(principal, allowed)

    return dependency


require_staff = require_roles(Role.EMPLOYEE, Role.ADMIN)
require_admin = require_roles(Role.ADMIN)
