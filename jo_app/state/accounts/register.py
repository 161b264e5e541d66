"""Registration, e-mail verification (with resend) and the forgotten-password flow."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import reflex as rx
from sqlmodel import Session

from jo_app.i18n import LangState
from jo_app.services import audit, ratelimit
from jo_app.services.accounts import email_codes, users
from jo_app.services.accounts.common import find_active_user_by_email
from jo_app.services.errors import DomainError, RateLimitedError
from jo_app.state.account_common import call_service, error_of
from jo_app.state.accounts.login import browser_nonce, complete_login, open_session
from jo_app.state.auth import AuthState
from jo_app.web.redirects import safe_next

RESEND_LIMIT = 3  # new verification codes per page visit


def _verify_and_login(db: Session, email: str, code: str, client_ip: str | None, user_agent: str | None,
                      nonce: str) -> str | None:
    """Verify the address with its code, then open a session for its owner: the code mailed to the address proves
    it, like the password does at login. Returns the one-time login hand-off code (bound to this browser's
    pre-login cookie `nonce`, like the login form's), or None when the account must still log in with its password
    (locked, or protected by 2FA, which a mailed code must not bypass). Commits."""
    email_codes.verify_email(db, email, code, client_ip)
    user = find_active_user_by_email(db, email)
    if user is None or user.is_locked or user.totp_enabled:
        return None
    audit.record(db, "login.after_verification", actor_id=user.id, target_type="user", target_id=user.id,
                 client_ip=client_ip)
    db.commit()
    return open_session(db, int(user.id), client_ip, user_agent, nonce)


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
    _next: str = ""  # the page the visitor came from (sign-up from a "log in to buy" detour), reopened at the end
    verify_href: str = "/verification"

    def _remember_next(self) -> None:
        value = safe_next(self.router.url.query_parameters.get("next"), "")
        if value:
            self._next = value
        self.verify_href = f"/verification?next={quote(self._next, safe='/')}" if self._next else "/verification"

    async def _lang(self) -> str:
        return (await self.get_state(LangState)).current_lang

    @rx.event
    def on_load_register(self):
        self.errors, self.notice, self.busy = {}, "", False
        self._remember_next()

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
                users.register, email=self.email, password=password, first_name=self.first_name,
                last_name=self.last_name, consent=consent, client_ip=self._client_ip(), lang=await self._lang(),
            )
        except DomainError as exc:
            field, key = error_of(exc)
            self.errors, self.busy = {field: key}, False
            return
        # Same screen whether or not the address already had an account (no account enumeration); the mail (code,
        # or a notice to the owner) is a durable job queued by the service, so the answer time does not tell either.
        self.email, self.busy, self._resends = result.email, False, 0
        self._registered_email = result.email if result.user_id is not None else ""  # resend: new accounts only
        self.notice = "msg.registered"
        yield rx.redirect(self.verify_href)

    @rx.event
    async def on_load_verify(self):
        self.errors, self.busy = {}, False
        self._remember_next()
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
        code = str(form.get("code") or "").strip()[:32]
        self.email, self.errors = email, {}
        if not email or not code:
            self.errors = {k: "err.required" for k, v in (("email", email), ("code", code)) if not v}
            return
        self.busy = True
        yield
        logged_in = await self.current_user() is not None
        nonce = browser_nonce(self.router.headers.cookie)  # no pre-login cookie: the login page gets one first
        try:
            if logged_in or nonce is None:
                await call_service(email_codes.verify_email, email, code, self._client_ip())
                handoff = None
            else:
                handoff = await call_service(_verify_and_login, email, code, self._client_ip(),
                                             self.router.headers.user_agent[:255] or None, nonce)
        except DomainError as exc:
            field, key = error_of(exc, "code")
            self.errors, self.busy = {field: key}, False
            return
        self.busy, self.notice = False, ""
        if logged_in:
            yield rx.redirect(self._next or "/compte?verified=1")
        elif handoff is not None:
            yield complete_login(handoff, self._next or "/compte?verified=1")
        else:
            next_query = f"&next={quote(self._next, safe='/')}" if self._next else ""
            yield rx.redirect(f"/connexion?verified=1&email={quote(email)}{next_query}")

    @rx.event
    async def resend(self):
        """Mail a new code to the logged-in user, or to the address registered from this tab (never to an address
        merely typed in: no mail bombing); same answer always, at most RESEND_LIMIT times per tab. Across tabs
        and sockets the service's per-account cool-down and per-address limits hold
        (`accounts.resend_verification_code`)."""
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
        try:  # the code mail, when one is due, is queued by the service (a durable job)
            await call_service(email_codes.resend_verification_code, target, self._client_ip(),
                               user_id=info.user_id if info else None)
        except RateLimitedError:
            self.errors, self.notice = {"code": "err.rate_limited"}, ""
        except DomainError:
            return


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
        try:  # a due code is queued for mailing (a durable job) in the account's language: same answer either way
            await call_service(email_codes.request_password_reset, self.email, self.router.session.client_ip or None)
        except RateLimitedError:
            self.errors, self.busy = {"email": "err.rate_limited"}, False
            return
        except DomainError:
            pass
        self.busy, self.code_requested, self.notice = False, True, "msg.reset_sent"

    @rx.event
    async def reset_password(self, form: dict[str, Any]):
        if self.busy:
            return
        code = str(form.get("code") or "").strip()[:32]
        password = str(form.get("password") or "")[:1024]
        self.errors = {k: "err.required" for k, v in (("code", code), ("password", password)) if not v}
        if self.errors:
            return
        self.busy = True
        yield
        try:
            await call_service(email_codes.reset_password, self.email, code, password,
                               self.router.session.client_ip or None)
        except DomainError as exc:
            field, key = error_of(exc, "code")
            self.errors, self.busy = {field: key}, False
            return
        self.busy, self.code_requested, self.notice = False, False, ""
        yield rx.redirect("/connexion?reset=1")
