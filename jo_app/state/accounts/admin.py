"""Admin users: search, change role, lock / unlock, force logout (the services protect the last admin)."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from jo_app.db import session_scope
from jo_app.i18n import error_key
from jo_app.models import Role
from jo_app.services import admin_reports, audit
from jo_app.services.accounts import sessions
from jo_app.services.accounts import users as accounts
from jo_app.services.accounts.common import load_active_user
from jo_app.services.errors import DomainError
from jo_app.state.admin_common import AdminState
from jo_app.state.client_input import as_int, clean_text
from jo_app.state.shop_format import labels

ROLES = tuple(r.value for r in Role)


def _search(text: str, role: str) -> list[dict[str, Any]]:
    with session_scope() as session:
        users = admin_reports.search_users(session, text or None, role=role or None, limit=100)
    return [{"id": u["id"], "email": u["email"], "name": f"{u['first_name']} {u['last_name']}".strip(),
             "role": u["role"], "is_locked": u["is_locked"], "is_verified": u["is_verified"],
             "anonymized": u["anonymized"], "active_sessions": u["active_sessions"],
             **labels("last_login", moment=u["last_login_at"])} for u in users]


def _force_logout(actor_id: int, user_id: int, client_ip: str | None) -> int:
    """Revoke every session of `user_id` (audited); returns how many were open."""
    with session_scope() as session:
        accounts.require_role(session, actor_id, Role.ADMIN)
        target = load_active_user(session, user_id)
        count = sessions.revoke_all_sessions(session, target.id, commit=False)
        audit.record(session, "user.sessions_revoked", actor_id=actor_id, target_type="user", target_id=target.id,
                     client_ip=client_ip, sessions=count)
        return count


def _run(action, *args) -> None:
    with session_scope() as session:
        action(session, *args)


class AdminUsersState(AdminState):
    """/admin/utilisateurs."""

    query: str = ""
    role_filter: str = ""
    users: list[dict[str, Any]] = []
    searched: bool = False
    message: str = ""
    error: str = ""
    # The role change waiting for the admin's confirmation: {"id", "email", "old", "new"} (display copies; the
    # change is applied from the server-side `_pending_role`, after the admin role is checked again).
    role_change: dict[str, str] = {}
    _pending_role: tuple[int, str] | None = None

    def _clear(self) -> None:
        self.users, self.message, self.error, self.searched = [], "", "", False

    async def _search(self) -> None:
        self.users = await asyncio.to_thread(_search, self.query, self.role_filter)
        self.searched = True

    @rx.event
    async def load(self):
        if await self._admin() is None:
            self._clear()
            return
        self.message = self.error = ""
        await self._search()

    @rx.event
    async def search(self, form: dict[str, Any]):
        if await self._admin() is None:
            self._clear()
            return
        self.query = clean_text(form.get("q"), 100)
        role = clean_text(form.get("role"), 16)
        self.role_filter = role if role in ROLES else ""
        self.message = self.error = ""
        await self._search()

    async def _act(self, action, *args, done: str) -> None:
        try:
            await asyncio.to_thread(action, *args)
        except DomainError as exc:
            self.message, self.error = "", error_key(exc)
        else:
            self.message, self.error = done, ""
        await self._search()

    @rx.event
    async def ask_role(self, user_id: int, role: str):
        """The role menu moved: nothing changes yet, the admin is asked to confirm."""
        if await self._admin() is None:
            self._clear()
            return
        target = as_int(user_id)
        row = next((u for u in self.users if u["id"] == target), None)
        if role not in ROLES or row is None or row["role"] == role:
            self.role_change, self._pending_role = {}, None
            return
        self._pending_role = (target, role)
        self.role_change = {"id": str(target), "email": row["email"], "old": row["role"], "new": role}

    @rx.event
    def cancel_role(self):
        self.role_change, self._pending_role = {}, None

    @rx.event
    async def confirm_role(self):
        """Apply the confirmed role change (the service checks the admin role again and protects the last admin)."""
        pending, self.role_change, self._pending_role = self._pending_role, {}, None
        if pending is None:
            return
        admin = await self._admin()
        if admin is None:
            self._clear()
            return
        await self._act(_run, accounts.set_role, admin.user_id, pending[0], pending[1], done="msg.admin.role_changed")

    @rx.event
    async def set_locked(self, user_id: int, locked: bool):
        admin = await self._admin()
        if admin is None:
            self._clear()
            return
        if as_int(user_id) is None:
            return
        await self._act(_run, accounts.set_locked, admin.user_id, as_int(user_id), bool(locked),
                        done="msg.admin.locked" if locked else "msg.admin.unlocked")

    @rx.event
    async def force_logout(self, user_id: int):
        admin = await self._admin()
        if admin is None:
            self._clear()
            return
        if as_int(user_id) is None:
            return
        await self._act(_force_logout, admin.user_id, as_int(user_id), self._client_ip(),
                        done="msg.admin.logged_out")
