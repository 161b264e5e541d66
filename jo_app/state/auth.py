"""Identity of the connected browser, resolved on the server from the HttpOnly session cookie.

The cookie (`jo_session`) is set and cleared only by HTTP routes (`jo_app/api/auth_routes.py`); page JavaScript
cannot read it and Reflex never sends request cookies to the client. The websocket captures the cookie header
once per connection, so login and logout go through an HTTP redirect (which reloads the page).

Every handler that reads private data or changes anything must call `await self.require_user(...)` (or
`require_role`) at its start: it resolves the session and the user's role on the server on each call, from the
database or from a resolution at most `identity_cache_seconds` (2 s) old; a logout, role change or lock made in
this process drops the cached resolution at once (`jo_app/services/accounts/identity_cache.py`).
Public vars below are only for display; they are never trusted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import reflex as rx

from jo_app.db import autocommit_reads, session_scope
from jo_app.models import Role
from jo_app.services.accounts import identity_cache
from jo_app.services.accounts.sessions import SessionInfo

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
        return identity_cache.resolve(db, token)


def _resolve_then(token: str | None, roles: frozenset[str], work: Callable[..., Any],
                  args: tuple[Any, ...], read_only: bool = False) -> tuple[SessionInfo | None, Any]:
    """Resolve the session, then run `work(db, user_id, *args)` in the same database session (one thread hop).
    `read_only`: `work` only reads; its statements run without a transaction around them (`db.autocommit_reads`:
    no BEGIN / COMMIT round trips)."""
    if not token:
        return None, None
    with session_scope() as db:
        if read_only:
            autocommit_reads(db)
        info = identity_cache.resolve(db, token)
        if info is None or (roles and info.role not in roles):
            return None, None
        return info, work(db, info.user_id, *args)


def _identify_then(token: str, roles: frozenset[str], work: Callable[..., Any],
                   args: tuple[Any, ...]) -> tuple[SessionInfo | None, Any]:
    """Resolve the session; run `work(db, user_id, *args)` in the same database session only when the user holds one
    of `roles`. The identity is returned whatever the role (for the display identity)."""
    with session_scope() as db:
        info = identity_cache.resolve(db, token)
        if info is None or info.role not in roles:
            return info, None
        return info, work(db, info.user_id, *args)


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
        """The user of this connection, re-read from the database (None when not logged in); a resolution less
        than `identity_cache_seconds` old is reused without a thread hop (see `services/accounts/identity_cache.py`)."""
        token = self._session_token()
        if not token:  # no session cookie: nothing to read (no thread hop for an anonymous page)
            return None
        cached = identity_cache.lookup(token)
        if cached is not None:
            return cached
        return await asyncio.to_thread(_resolve, token)

    async def require_user(self, *roles: Role) -> SessionInfo | None:
        """The current user if logged in (and holding one of `roles` when given), else None."""
        info = await self.current_user()
        if info is None:
            return None
        if roles and info.role not in {role.value for role in roles}:
            return None
        return info

    async def run_as_user(self, work: Callable[..., Any], *args: Any, roles: tuple[Role, ...] = (),
                          read_only: bool = False) -> tuple[SessionInfo | None, Any]:
        """`require_user(*roles)` and then `work(db, user_id, *args)` (blocking, in a thread) in ONE database
        session: the identity is still re-read from the database, without a second thread hop and session.
        Returns (None, None) when there is no such user; exceptions of `work` propagate (its writes rolled back).
        `read_only`: `work` only reads (see `_resolve_then`)."""
        return await asyncio.to_thread(_resolve_then, self._session_token(),
                                       frozenset(role.value for role in roles), work, args, read_only)

    def _assign(self, **values: Any) -> None:
        """Set public vars, only those whose value changes: Reflex sends (and the disk manager saves) every var
        assigned, equal or not, so a page load that finds what the tab already shows sends nothing for it."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _show_identity(self, info: SessionInfo | None) -> None:
        """Set the display-only identity vars from a resolution made by the handler."""
        self._assign(is_authenticated=info is not None, user_first_name=info.first_name if info else "",
                     user_role=info.role if info else "")

    @rx.event
    async def load_identity(self):
        """Refresh the display-only identity vars (call from every page's on_load)."""
        self._show_identity(await self.current_user())

    async def identify_then(self, work: Callable[..., Any], *args: Any,
                            roles: tuple[Role, ...]) -> tuple[SessionInfo | None, Any]:
        """The current user whatever their role (None when not logged in), and `work(db, user_id, *args)` (blocking,
        in a thread, in the same database session as the identity read) only when they hold one of `roles` (else
        None): a page's on_load checks the role, shows the identity and reads its data in one thread hop. The
        caller still decides from the returned `info.role`; exceptions of `work` propagate (its writes rolled back)."""
        token = self._session_token()
        if not token:
            return None, None
        allowed = frozenset(role.value for role in roles)
        cached = identity_cache.lookup(token)
        if cached is not None and cached.role not in allowed:
            return cached, None  # no thread hop for a page its user may not use
        return await asyncio.to_thread(_identify_then, token, allowed, work, args)
