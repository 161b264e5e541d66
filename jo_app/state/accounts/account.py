"""The account page (/compte): profile, password change, active sessions, data export and account deletion.

Every handler starts with `await self.require_user()` (session and role re-read from the database) and acts only
on that user's own data; ids coming from the browser are checked against what was listed for this user.
Two-factor enrolment lives in `state/accounts/twofactor.py`.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import reflex as rx
from sqlmodel import Session

from jo_app.i18n.formats import format_short
from jo_app.services import privacy
from jo_app.services.accounts import sessions, users
from jo_app.services.errors import DomainError
from jo_app.state.account_common import call_service, error_of, hard_redirect
from jo_app.state.auth import AuthState

EXPORT_FILENAME = "jo-etickets-mes-donnees.json"


def device_label(user_agent: str | None) -> str:
    """A short "Browser · OS" label for a User-Agent string ("" when unknown)."""
    ua = user_agent or ""
    browser = next((name for key, name in (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
                                           ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"))
                    if key in ua), "")
    system = next((name for key, name in (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"),
                                          ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux"))
                   if key in ua), "")
    return " · ".join(x for x in (browser, system) if x)


def _session_rows(db: Session, user_id: int, token: str | None) -> list[dict[str, Any]]:
    rows = []
    for s in sessions.list_sessions(db, user_id, token):
        rows.append({
            "id": str(s.session_id), "current": s.is_current, "device": device_label(s.user_agent),
            "ip": s.client_ip or "",
            "created_fr": format_short(s.created_at, "fr"), "created_en": format_short(s.created_at, "en"),
            "seen_fr": format_short(s.last_seen_at, "fr"), "seen_en": format_short(s.last_seen_at, "en"),
        })
    return rows


def _export_json(db: Session, user_id: int) -> str:
    return json.dumps(privacy.export_user_data(db, user_id), ensure_ascii=False, indent=2)


class AccountState(AuthState):
    """Private vars below are filled only for the logged-in user and emptied when there is none."""

    loaded: bool = False
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    is_verified: bool = False
    totp_enabled: bool = False
    session_rows: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    notice: str = ""
    busy: str = ""  # name of the form being processed ("" when idle)
    delete_needs_force: bool = False
    _listed_session_ids: list[int] = []
    _delete_force_armed: bool = False

    def _clear_private(self) -> None:
        self.loaded, self.email, self.first_name, self.last_name = False, "", "", ""
        self.is_verified, self.totp_enabled, self.session_rows = False, False, []
        self._listed_session_ids, self.delete_needs_force, self._delete_force_armed = [], False, False

    async def _refresh(self, info) -> None:
        self.email, self.first_name, self.last_name = info.email, info.first_name, info.last_name
        self.is_verified, self.totp_enabled = info.is_verified, info.totp_enabled
        try:
            rows = await call_service(_session_rows, info.user_id, self._session_token())
        except DomainError:
            rows, self.notice = [], "err.generic"
        self.session_rows = rows
        self._listed_session_ids = [int(r["id"]) for r in rows]
        self.loaded = True

    async def _user_or_clear(self):
        info = await self.require_user()
        if info is None:
            self._clear_private()
            self.is_authenticated = False
        return info

    @rx.event
    async def on_load(self):
        self.errors, self.busy, self.notice = {}, "", ""
        info = await self._user_or_clear()
        if info is None:
            return
        if self.router.url.query_parameters.get("verified"):
            self.notice = "msg.verified_account"
        self.delete_needs_force, self._delete_force_armed = False, False
        await self._refresh(info)

    @rx.event
    async def update_profile(self, form: dict[str, Any]):
        """Change the logged-in user's own name (never another user's: the id comes from the session)."""
        info = await self._user_or_clear()
        if info is None or self.busy:
            return
        first = str(form.get("first_name") or "")[:200]
        last = str(form.get("last_name") or "")[:200]
        self.errors, self.notice, self.busy = {}, "", "profile"
        try:
            await call_service(users.update_profile, info.user_id, first_name=first, last_name=last)
        except DomainError as exc:
            field, key = error_of(exc)
            self.errors = {f"pf_{field}": key}
            self.busy = ""
            return
        self.busy, self.notice = "", "msg.profile_updated"
        info = await self._user_or_clear()
        if info is not None:
            await self._refresh(info)
            self.user_first_name = info.first_name

    @rx.event
    async def change_password(self, form: dict[str, Any]):
        info = await self._user_or_clear()
        if info is None or self.busy:
            return
        current = str(form.get("current_password") or "")[:1024]
        new = str(form.get("new_password") or "")[:1024]
        self.errors, self.notice = {}, ""
        missing = {f"cp_{k}": "err.required" for k, v in (("current", current), ("new", new)) if not v}
        if missing:
            self.errors = missing
            return
        self.busy = "password"
        yield
        try:
            await call_service(users.change_password, info.user_id, current, new, keep_token=self._session_token())
        except DomainError as exc:
            field, key = error_of(exc)
            self.errors = {"cp_current" if field == "current_password" else "cp_new": key}
            self.busy = ""
            return
        self.busy, self.notice = "", "msg.password_changed"
        await self._refresh(info)
        yield rx.set_value("f-cp-current", "")
        yield rx.set_value("f-cp-new", "")

    @rx.event
    async def revoke_session(self, session_id: str):
        info = await self._user_or_clear()
        if info is None:
            return
        try:
            wanted = int(session_id)
        except (TypeError, ValueError):
            return
        if wanted not in self._listed_session_ids:
            return
        with contextlib.suppress(DomainError):
            await call_service(sessions.revoke_session_by_id, info.user_id, wanted)
        if wanted == info.session_id:  # revoking this very session is a logout
            self._clear_private()
            yield hard_redirect("/auth/cleared?next=/connexion%3Fbye%3D1", fresh_state=True)
            return
        self.notice = "msg.session_revoked"
        await self._refresh(info)

    @rx.event
    async def logout_everywhere(self):
        """Revoke every other session of the user (this one stays open)."""
        info = await self._user_or_clear()
        if info is None:
            return
        try:
            await call_service(sessions.revoke_all_sessions, info.user_id, except_token=self._session_token())
            self.notice = "msg.sessions_revoked"
        except DomainError:
            self.notice = "err.generic"
        await self._refresh(info)

    @rx.event
    async def export_data(self):
        info = await self._user_or_clear()
        if info is None:
            return
        try:
            data = await call_service(_export_json, info.user_id)
        except DomainError:
            self.notice = "err.generic"
            return None
        return rx.download(data=data, filename=EXPORT_FILENAME, mime_type="application/json")

    @rx.event
    async def delete_account(self, form: dict[str, Any]):
        """First call refuses when valid future tickets exist (explicit message); the next confirms and cancels."""
        info = await self._user_or_clear()
        if info is None or self.busy:
            return
        password = str(form.get("delete_password") or "")[:1024]
        self.errors, self.notice = {}, ""
        if not password:
            self.errors = {"del_password": "err.required"}
            return
        self.busy = "delete"
        yield
        force = self._delete_force_armed
        try:
            await call_service(privacy.delete_account, info.user_id, password, force=force)
        except DomainError as exc:
            self.busy = ""
            if exc.code == "has_valid_future_tickets":
                self.delete_needs_force, self._delete_force_armed = True, True
                self.errors = {"del_form": "err.has_valid_future_tickets"}
            else:
                self.errors = {"del_password": error_of(exc)[1]}
            return
        self._clear_private()
        self.busy = ""
        yield hard_redirect("/auth/cleared?next=/connexion%3Fdeleted%3D1", fresh_state=True)

    @rx.event
    def cancel_delete(self):
        self.delete_needs_force, self._delete_force_armed = False, False
        self.errors = {}
