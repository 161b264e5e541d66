"""HTTP routes that set and clear the HttpOnly session cookie (login hand-off, logout).

- GET /auth/complete?code=...&next=/path : consumes a one-time login hand-off code (minted by the login handler
  right after it verified the credentials and opened the session), sets `jo_session` and redirects (303) to
  `next` (a same-site relative path only).
- GET /auth/cleared?next=/path : expires the cookie and redirects. The logout handler revokes the session in the
  database first; this route only forgets the (already dead) cookie, so it needs no CSRF protection.
- POST /auth/logout : revokes the session named by the cookie and clears it (same-origin requests only).
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from jo_app.config import get_settings
from jo_app.db import session_scope
from jo_app.services import session_handoff, sessions

router = APIRouter()

SESSION_COOKIE = "jo_session"
DEFAULT_NEXT = "/"


def safe_next(value: str | None, default: str = DEFAULT_NEXT) -> str:
    """`value` if it is a same-site relative path ("/x", not "//host" nor "/\\host" nor a scheme), else default."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def cookie_secure() -> bool:
    settings = get_settings()
    return settings.is_production or settings.app_url.startswith("https")


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the hand-off code must not leak through Referer
    return response


def _consume(code: str) -> str | None:
    with session_scope() as db:
        return session_handoff.consume_handoff(db, code)


def _revoke(token: str | None) -> None:
    with session_scope() as db:
        sessions.revoke_session(db, token)


@router.get("/auth/complete", include_in_schema=False)
async def complete_login(code: str = "", next: str = DEFAULT_NEXT) -> Response:
    """Exchange a one-time hand-off code for the HttpOnly session cookie."""
    token = await asyncio.to_thread(_consume, code)
    if token is None:
        return _no_store(RedirectResponse("/connexion?expired=1", status_code=303))
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=get_settings().session_absolute_seconds, path="/", httponly=True,
        samesite="lax", secure=cookie_secure(),
    )
    return _no_store(response)


def _clear(response: Response) -> Response:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure())
    return _no_store(response)


@router.get("/auth/cleared", include_in_schema=False)
async def cleared(next: str = DEFAULT_NEXT) -> Response:
    """Forget the session cookie (the session itself was revoked by the logout handler)."""
    return _clear(RedirectResponse(safe_next(next), status_code=303))


def _same_origin(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


@router.post("/auth/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    """Revoke the cookie's session and clear the cookie (cross-site requests are refused)."""
    if not _same_origin(request):
        return Response(status_code=403)
    await asyncio.to_thread(_revoke, request.cookies.get(SESSION_COOKIE))
    return _clear(RedirectResponse("/", status_code=303))
