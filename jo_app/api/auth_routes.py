"""HTTP routes that set and clear the HttpOnly session cookie (login hand-off, logout).

- GET /auth/complete?code=...&next=/path : consumes a one-time login hand-off code (minted by the login handler
  right after it verified the credentials and opened the session), sets `jo_session` and redirects (303) to
  `next` (a same-site relative path only). The code only works in the browser that logged in: it is bound to
  that browser's pre-login cookie (`jo_prelogin`); anywhere else it is spent and refused (`?foreign=1`). It also
  sets the device cookie `jo_device` (login throttling, `services.accounts.login_throttle`) when the browser has none.
- GET /auth/prelogin?next=/path : gives the browser its pre-login cookie (kept if it has one) and redirects. The
  pages' HTML responses set it already (`jo_app.web.prelogin`); the login page comes here when its websocket
  connected without it (e.g. the cookie expired while the tab stayed open).
- GET /auth/cleared?next=/path : expires the cookie and redirects. The logout handler revokes the session in the
  database first; this route only forgets the (already dead) cookie, so it needs no CSRF protection.
- POST /auth/logout : revokes the session named by the cookie and clears it (same-origin requests only).
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from jo_app.api import devices
from jo_app.api.deps import SESSION_COOKIE, same_origin
from jo_app.config import get_settings
from jo_app.db import session_scope
from jo_app.services.accounts import session_handoff, sessions
from jo_app.services.accounts.session_handoff import PRELOGIN_COOKIE, ForeignHandoffError
from jo_app.web.prelogin import cookie_secure, set_prelogin_cookie
from jo_app.web.redirects import DEFAULT_NEXT, safe_next

log = logging.getLogger(__name__)
router = APIRouter()


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the hand-off code must not leak through Referer
    return response


def _consume(code: str, nonce: str | None) -> str | None:
    with session_scope() as db:
        return session_handoff.consume_handoff(db, code, nonce)


def _user_of(token: str) -> int | None:
    with session_scope() as db:
        info = sessions.resolve_session(db, token)
        return info.user_id if info is not None else None


def _revoke(token: str | None) -> None:
    with session_scope() as db:
        sessions.revoke_session(db, token)


@router.get("/auth/complete", include_in_schema=False)
async def complete_login(request: Request, code: str = "", next: str = DEFAULT_NEXT) -> Response:
    """Exchange a one-time hand-off code for the HttpOnly session cookie, in the browser that logged in only; give
    that browser a device cookie for the account (`api.devices`) if it has none."""
    try:
        token = await asyncio.to_thread(_consume, code, request.cookies.get(PRELOGIN_COOKIE))
    except ForeignHandoffError as exc:
        log.warning("login hand-off %s presented by another browser (%s): refused", exc,
                    request.client.host if request.client else "?")
        return _no_store(RedirectResponse("/connexion?foreign=1", status_code=303))
    if token is None:
        return _no_store(RedirectResponse("/connexion?expired=1", status_code=303))
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=get_settings().session_absolute_seconds, path="/", httponly=True,
        samesite="lax", secure=cookie_secure(),
    )
    user_id = await asyncio.to_thread(_user_of, token)
    if user_id is not None:
        devices.remember(request, response, user_id)
    return _no_store(response)


@router.get("/auth/prelogin", include_in_schema=False)
async def prelogin(request: Request, next: str = "/connexion") -> Response:
    """Give this browser its pre-login cookie (keeping a valid one) and go back to `next` (same-site only)."""
    response = RedirectResponse(safe_next(next, "/connexion"), status_code=303)
    set_prelogin_cookie(response, request.cookies.get(PRELOGIN_COOKIE), secure=cookie_secure())
    return _no_store(response)


def _clear(response: Response) -> Response:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure())
    return _no_store(response)


@router.get("/auth/cleared", include_in_schema=False)
async def cleared(next: str = DEFAULT_NEXT) -> Response:
    """Forget the session cookie (the session itself was revoked by the logout handler)."""
    return _clear(RedirectResponse(safe_next(next), status_code=303))


@router.post("/auth/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    """Revoke the cookie's session and clear the cookie (cross-site requests are refused)."""
    if not same_origin(request):
        return Response(status_code=403)
    await asyncio.to_thread(_revoke, request.cookies.get(SESSION_COOKIE))
    return _clear(RedirectResponse("/", status_code=303))
