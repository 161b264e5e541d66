"""FastAPI dependencies: database session, caller identity (bearer JWT or session cookie), roles, client address.

Identity, on every request:
- `Authorization: Bearer <jwt>`: the token is verified (`api.tokens`), then its session (`sid`, a primary-key
  lookup joined with the user) must still be alive (not revoked, not expired, not idle) and belong to `sub`, and
  the user must be active. The role used is the one in the database, never the token's claim.
- otherwise the `jo_session` HttpOnly cookie of the web app, resolved like the web pages do. For state-changing
  methods a cookie is only honoured on same-origin requests (CSRF defence on top of SameSite=Lax).
Any other `Authorization` scheme, or a bad token, gives 401 (a bad bearer token never falls back to the cookie).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jo_app.api.errors import ApiError, unauthorized
from jo_app.api.tokens import TokenError, decode_access_token
from jo_app.config import get_settings
from jo_app.db import get_engine
from jo_app.models import Role, User, UserSession
from jo_app.services import sessions
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


def _same_origin(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _from_bearer(db: Session, token: str) -> Principal:
    try:
        claims = decode_access_token(token)
    except TokenError:
        raise unauthorized("Invalid or expired access token.", "invalid_token") from None
    row = db.execute(  # plain columns, one primary-key lookup: no ORM objects on the hot path
        select(UserSession.user_id, UserSession.revoked_at, UserSession.expires_at, UserSession.last_seen_at,
               User.role, User.is_locked, User.anonymized_at, User.email, User.first_name, User.is_verified)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id == claims.session_id)
    ).first()
    if row is None:
        raise unauthorized("Invalid or expired access token.", "invalid_token")
    now = utcnow()
    idle_limit = now - timedelta(seconds=get_settings().session_idle_seconds)
    alive = row.revoked_at is None and row.expires_at > now and row.last_seen_at > idle_limit
    if not alive or row.user_id != claims.user_id or row.is_locked or row.anonymized_at is not None:
        raise unauthorized("This token has been revoked or has expired.", "token_revoked")
    return Principal(user_id=row.user_id, role=row.role, session_id=claims.session_id, via="bearer", email=row.email,
                     first_name=row.first_name, is_verified=row.is_verified)


def optional_principal(
    request: Request,
    db: Session = Depends(get_db),
    credentials: HTTPAuthorizationCredentials | None = Security(bearer_scheme),
    cookie: str | None = Security(cookie_scheme),
) -> Principal | None:
    """The caller, or None when anonymous; 401 for bad credentials."""
    if credentials is not None:
        return _from_bearer(db, credentials.credentials)
    if request.headers.get("authorization"):
        raise unauthorized("Use 'Authorization: Bearer <token>'.", "invalid_token")
    if not cookie:
        return None
    info = sessions.resolve_session(db, cookie)
    if info is None:
        raise unauthorized("Your session has expired. Please log in again.", "session_expired")
    if request.method not in SAFE_METHODS and not _same_origin(request):
        raise ApiError(403, "cross_site_request", "Cross-site requests with the session cookie are refused.")
    return Principal(user_id=info.user_id, role=info.role, session_id=info.session_id, via="cookie",
                     email=info.email, first_name=info.first_name, is_verified=info.is_verified)


async def current_principal(principal: Principal | None = Depends(optional_principal)) -> Principal:
    """The caller; 401 when anonymous."""
    if principal is None:
        raise unauthorized()
    return principal


def require_roles(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting only callers whose role (from the database) is one of `roles`."""
    allowed = frozenset(r.value for r in roles)

    async def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in allowed:
            raise ApiError(403, "forbidden", "You are not allowed to do this.")
        return principal

    return dependency


require_staff = require_roles(Role.EMPLOYEE, Role.ADMIN)
require_admin = require_roles(Role.ADMIN)
