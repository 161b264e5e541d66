"""Login (password, then the 2FA step when required) and logout.

The password is never kept on the server between the two steps: the credential inputs stay (hidden) in the same
form and are submitted again with the code, and `accounts.authenticate` checks everything in one call.
On success the handler opens the server session, stores its token behind a one-time hand-off code and sends the
browser to `/auth/complete`, the HTTP route that sets the HttpOnly cookie.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote

import reflex as rx
from sqlmodel import Session

from jo_app.api import ratelimit
from jo_app.api.auth_routes import safe_next
from jo_app.services import accounts, session_handoff, sessions
from jo_app.services.errors import DomainError
from jo_app.state.account_common import call_service, error_of, hard_redirect
from jo_app.state.auth import AuthState

STEP_CREDENTIALS = "credentials"
STEP_TOTP = "totp"
DEFAULT_AFTER_LOGIN = "/billets"


def _login(db: Session, email: str, password: str, code: str | None, client_ip: str | None,
           user_agent: str | None) -> tuple[str, bool]:
    """Authenticate, open a session, and return (one-time hand-off code, recovery code used)."""
    result = accounts.authenticate(db, email=email, password=password, totp_code=code, client_ip=client_ip)
    token = sessions.create_session(db, result.user_id, client_ip=client_ip, user_agent=user_agent)
    return session_handoff.create_handoff(db, token), result.used_recovery_code


class LoginState(AuthState):
    """The login form. Public vars hold only what the visitor typed (e-mail) and UI flags."""

    email: str = ""
    step: str = STEP_CREDENTIALS
    errors: dict[str, str] = {}
    notice: str = ""
    busy: bool = False

    def _next_path(self) -> str:
        return safe_next(self.router.url.query_parameters.get("next"), DEFAULT_AFTER_LOGIN)

    @rx.event
    async def on_load(self):
        """Reset the form; show why we are here (expired hand-off, verified address, reset password)."""
        self.step, self.errors, self.busy = STEP_CREDENTIALS, {}, False
        params = self.router.url.query_parameters
        if params.get("expired"):
            self.notice = "err.handoff_expired"
        elif params.get("verified"):
            self.notice = "msg.verified"
        elif params.get("reset"):
            self.notice = "msg.password_reset"
        elif params.get("bye"):
            self.notice = "msg.logged_out"
        elif params.get("deleted"):
            self.notice = "msg.account_deleted"
        else:
            self.notice = ""
        if params.get("email") and not self.email:
            self.email = str(params.get("email"))[:254]
        if await self.current_user() is not None:
            return rx.redirect(self._next_path())

    @rx.event
    def restart(self):
        self.step, self.errors, self.notice = STEP_CREDENTIALS, {}, ""

    @rx.event
    async def submit(self, form: dict[str, Any]):
        if self.busy:
            return
        email = str(form.get("email") or "").strip()[:254]
        password = str(form.get("password") or "")[:1024]
        code = str(form.get("code") or "").strip()[:64] if self.step == STEP_TOTP else None
        self.email, self.errors, self.notice = email, {}, ""
        missing = {name: "err.required" for name, value in (("email", email), ("password", password)) if not value}
        if self.step == STEP_TOTP and not code:
            missing["code"] = "err.totp_required"
        if missing:
            self.errors = missing
            return
        if ratelimit.retry_after("login", self._client_ip(), email.lower()) is not None:
            self.errors = {"form": "err.rate_limited"}
            return
        self.busy = True
        yield
        try:
            handoff, _recovery = await call_service(
                _login, email, password, code, self._client_ip(), self.router.headers.user_agent[:255] or None,
            )
        except DomainError as exc:
            self.busy = False
            if exc.code == "totp_required":
                self.step = STEP_TOTP
                return
            field, key = error_of(exc)
            if exc.code in ("invalid_credentials", "locked_out", "account_locked"):
                field = "form"
            elif exc.code == "invalid_totp":
                field = "code"
            self.errors = {field: key}
            return
        self.busy = False
        target = quote(self._next_path(), safe="/")
        yield hard_redirect(f"/auth/complete?code={handoff}&next={target}", fresh_state=True)

    @rx.event
    async def logout(self):
        """Revoke this browser's session in the database, then let the HTTP route forget the cookie."""
        token = self._session_token()
        if token:
            with contextlib.suppress(DomainError):
                await call_service(sessions.revoke_session, token)
        self.is_authenticated, self.user_first_name, self.user_role = False, "", ""
        self.errors, self.notice, self.step = {}, "", STEP_CREDENTIALS
        return hard_redirect("/auth/cleared?next=/connexion%3Fbye%3D1", fresh_state=True)
