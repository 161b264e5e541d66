"""Identity of the connected browser, resolved on the server from the HttpOnly session cookie.

The cookie (`jo_session`) is set and cleared only by HTTP routes (`jo_app/api/auth_routes.py`); page JavaScript
cannot read it and Reflex never sends request cookies to the client. The websocket captures the cookie header
once per connection, so login and logout go through an HTTP redirect (which reloads the page).

Every handler that reads private data or changes anything must call `await self.require_user(...)` (or
`require_role`) at its start: it re-reads the session and the user's role from the database on each call.
Public vars below are only for display; they are never trusted.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from jo_app.db import session_scope
from jo_app.models import Role
from jo_app.services import sessions
from jo_app.services.sessions import SessionInfo

SESSION_COOKIE = "jo_session"


def cookie_value(cookie_header: str | None, name: str = SESSION_COOKIE) -> str | None:
    """The value of one cookie from a raw `Cookie:` header (None when absent or empty).

    Parsed by hand rather than with `http.cookies.SimpleCookie`, which silently drops every cookie after one it
    cannot parse (another site's odd cookie on the same domain would log the user out). The first occurrence wins
    (browsers send the most specific path first); values are capped at 512 characters.
    """
    if not cookie_header:
        return None
    for part in cookie_header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key.strip() == name:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value[:512] or None
    return None


def _resolve(token: str | None) -> SessionInfo | None:
    if not token:
        return None
    with session_scope() as db:
        return sessions.resolve_session(db, token)


class AuthState(rx.State):
    """Base of every state that needs the current user."""

    # Display-only copies (never used for authorization).
    is_authenticated: bool = False
    user_first_name: str = ""
    user_role: str = ""

    def _session_token(self) -> str | None:
        return cookie_value(self.router.headers.cookie)

    def _client_ip(self) -> str | None:
        """The client address as Reflex resolved it for this connection.

        X-Forwarded-For is client-controlled: Reflex only honours it when `trusted_proxy_hops` is configured
        (rxconfig, for a deployment behind nginx), so a direct client cannot spoof its address to dodge the
        per-address login lockout.
        """
        return self.router.session.client_ip or None

    async def current_user(self) -> SessionInfo | None:
        """The user of this connection, re-read from the database (None when not logged in)."""
        return await asyncio.to_thread(_resolve, self._session_token())

    async def require_user(self, *roles: Role) -> SessionInfo | None:
        """The current user if logged in (and holding one of `roles` when given), else None."""
        info = await self.current_user()
        if info is None:
            return None
        if roles and info.role not in {role.value for role in roles}:
            return None
        return info

    @rx.event
    async def load_identity(self):
        """Refresh the display-only identity vars (call from every page's on_load)."""
        info = await self.current_user()
        self.is_authenticated = info is not None
        self.user_first_name = info.first_name if info else ""
        self.user_role = info.role if info else ""
