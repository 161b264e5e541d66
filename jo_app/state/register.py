"""Registration, e-mail verification (with resend) and the forgotten-password flow."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx
from sqlmodel import Session

from jo_app.api import ratelimit
from jo_app.i18n import LangState
from jo_app.models import EmailCodePurpose
from jo_app.services import accounts, mail
from jo_app.services.accounts_common import find_active_user_by_email
from jo_app.services.errors import DomainError
from jo_app.state.account_common import call_service, error_of, in_thread
from jo_app.state.auth import AuthState

log = logging.getLogger(__name__)
RESEND_LIMIT = 3  # new verification codes per page visit


def _fresh_verification_code(db: Session, email: str, user_id: int | None) -> tuple[str, str, str] | None:
    """(address, first name, new code) for an unverified account, else None. Commits."""
    user = find_active_user_by_email(db, email)
    if user is None or user.is_verified or (user_id is not None and user.id != user_id):
        return None
    code = accounts.issue_email_code(db, user.id, EmailCodePurpose.VERIFY_EMAIL)
    db.commit()
    return user.email, user.first_name, code


def _reset_code(db: Session, email: str) -> tuple[str, str, str] | None:
    """(address, first name, reset code) when the account exists, else None. Commits."""
    code = accounts.request_password_reset(db, email)
    if code is None:
        return None
    user = find_active_user_by_email(db, email)
    return user.email, user.first_name, code


def _send_quietly(send, *args) -> None:
    try:
        send(*args)
    except Exception:
        log.exception("could not send an account e-mail")


class RegisterState(AuthState):
    """Sign-up form, then the verification code. Public vars: only what the visitor typed and UI flags."""

    email: str = ""
    first_name: str = ""
    last_name: str = ""
    errors: dict[str, str] = {}
    notice: str = ""
    busy: bool = False
    _resends: int = 0
    _registered_email: str = ""  # the address registered from this browser tab (resend is limited to it)

    async def _lang(self) -> str:
        return (await self.get_state(LangState)).current_lang

    @rx.event
    def on_load_register(self):
        self.errors, self.notice, self.busy = {}, "", False

    @rx.event
    async def register(self, form: dict[str, Any]):
        if self.busy:
            return
        self.email = str(form.get("email") or "").strip()[:254]
        self.first_name = str(form.get("first_name") or "").strip()[:50]
        self.last_name = str(form.get("last_name") or "").strip()[:50]
        password = str(form.get("password") or "")[:1024]
        consent = str(form.get("consent") or "").lower() in ("on", "true", "1", "yes")
        self.errors, self.notice = {}, ""
        missing = {k: "err.required" for k, v in (("first_name", self.first_name), ("last_name", self.last_name),
                                                  ("email", self.email), ("password", password)) if not v}
        if not consent:
            missing["consent"] = "err.consent_required"
        if missing:
            self.errors = missing
            return
        if ratelimit.retry_after("register", self._client_ip()) is not None:
            self.errors = {"form": "err.rate_limited"}
            return
        self.busy = True
        yield
        try:
            result = await call_service(
                accounts.register, email=self.email, password=password, first_name=self.first_name,
                last_name=self.last_name, consent=consent, client_ip=self._client_ip(),
            )
        except DomainError as exc:
            field, key = error_of(exc)
            self.errors, self.busy = {field: key}, False
            return
        # Same screen whether or not the address already had an account (no account enumeration); the mail (code,
        # or a notice to the owner) goes out in the background so the answer time does not tell either.
        asyncio.get_running_loop().run_in_executor(None, _send_quietly, accounts.send_registration_mail, result,
                                                   await self._lang())
        self.email, self.busy, self._resends = result.email, False, 0
        self._registered_email = result.email if result.user_id is not None else ""  # resend: new accounts only
        self.notice = "msg.registered"
        yield rx.redirect("/verification")

    @rx.event
    async def on_load_verify(self):
        self.errors, self.busy = {}, False
        info = await self.current_user()
        if info is not None:
            self.email = info.email
            if info.is_verified:
                self.notice = "msg.already_verified"
        params_email = self.router.url.query_parameters.get("email")
        if params_email and not self.email:
            self.email = str(params_email)[:254]

    @rx.event
    async def verify(self, form: dict[str, Any]):
        if self.busy:
            return
        email = str(form.get("email") or self.email).strip()[:254]
        code = str(form.get("code") or "").strip()[:16]
        self.email, self.errors = email, {}
        if not email or not code:
            self.errors = {k: "err.required" for k, v in (("email", email), ("code", code)) if not v}
            return
        self.busy = True
        yield
        try:
            await call_service(accounts.verify_email, email, code)
        except DomainError as exc:
            field, key = error_of(exc, "code")
            self.errors, self.busy = {field: key}, False
            return
        self.busy, self.notice = False, ""
        if await self.current_user() is not None:
            yield rx.redirect("/compte?verified=1")
        else:
            yield rx.redirect("/connexion?verified=1")

    @rx.event
    async def resend(self):
        """Mail a new code to the logged-in user, or to the address registered from this tab (never to an address
        merely typed in: no mail bombing); same answer always, at most RESEND_LIMIT times."""
        if self.busy:
            return
        self.errors, self.notice = {}, "msg.code_sent"
        if self._resends >= RESEND_LIMIT:
            return
        info = await self.current_user()
        target = info.email if info else self._registered_email
        if not target:
            return
        self._resends += 1
        try:
            fresh = await call_service(_fresh_verification_code, target, info.user_id if info else None)
        except DomainError:
            return
        if fresh is not None:
            await in_thread(_send_quietly, mail.send_verification_code, *fresh, await self._lang())


class ForgotPasswordState(rx.State):
    """Forgotten password: request a code (same message whether or not the account exists), then reset."""

    email: str = ""
    code_requested: bool = False
    errors: dict[str, str] = {}
    notice: str = ""
    busy: bool = False

    @rx.event
    def on_load(self):
        self.errors, self.notice, self.busy, self.code_requested, self.email = {}, "", False, False, ""

    @rx.event
    async def request_code(self, form: dict[str, Any]):
        if self.busy:
            return
        self.email = str(form.get("email") or "").strip()[:254]
        self.errors = {}
        if not self.email:
            self.errors = {"email": "err.required"}
            return
        self.busy = True
        yield
        lang = (await self.get_state(LangState)).current_lang
        try:
            found = await call_service(_reset_code, self.email)
        except DomainError:
            found = None
        if found is not None:
            # Mailed in the background: the answer takes the same time whether or not the account exists.
            asyncio.get_running_loop().run_in_executor(None, _send_quietly, mail.send_password_reset, *found, lang)
        self.busy, self.code_requested, self.notice = False, True, "msg.reset_sent"

    @rx.event
    async def reset_password(self, form: dict[str, Any]):
        if self.busy:
            return
        code = str(form.get("code") or "").strip()[:16]
        password = str(form.get("password") or "")[:1024]
        self.errors = {k: "err.required" for k, v in (("code", code), ("password", password)) if not v}
        if self.errors:
            return
        self.busy = True
        yield
        try:
            await call_service(accounts.reset_password, self.email, code, password)
        except DomainError as exc:
            field, key = error_of(exc, "code")
            self.errors, self.busy = {field: key}, False
            return
        self.busy, self.code_requested, self.notice = False, False, ""
        yield rx.redirect("/connexion?reset=1")
