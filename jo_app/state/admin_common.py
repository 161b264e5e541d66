"""Base of every admin state: the role check each handler starts with, and small shared helpers.

`AdminState.access` drives the page: "" while checking, "granted" or "denied". It is display only: every
handler calls `await self._admin()` first, which re-reads the session and the role from the database, and
does nothing (and fills nothing) when it returns None.
"""

from __future__ import annotations

import logging

import reflex as rx

from jo_app.i18n import error_key
from jo_app.models import Role
from jo_app.services.accounts.sessions import SessionInfo
from jo_app.services.errors import DomainError
from jo_app.state.auth import AuthState

log = logging.getLogger(__name__)


def field_errors(exc: DomainError, fields: set[str]) -> tuple[dict[str, str], str]:
    """(errors by form field, general message key) for a service error."""
    key = error_key(exc)
    if exc.field in fields:
        return {exc.field: key}, "err.form_invalid"
    return {}, key


class AdminState(AuthState):
    """Parent of the admin page states (shares the access flag)."""

    access: str = ""
    admin_name: str = ""

    async def _admin(self) -> SessionInfo | None:
        """The current user if (still) an administrator, checked in the database; else None (access denied)."""
        info = await self.require_user(Role.ADMIN)
        self.access = "granted" if info is not None else "denied"
        self.admin_name = info.first_name if info is not None else ""
        return info

    @rx.event
    async def check_access(self):
        """on_load of every admin page: only sets the access flag (the data handlers check again)."""
        await self._admin()
