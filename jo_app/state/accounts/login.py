"""Login (password, then the 2FA step when required) and logout.

The password is never kept on the server between the two steps: the credential inputs stay (hidden) in the same
form and are submitted again with the code, and `accounts.authenticate` checks everything in one call.
On success the handler opens the server session, stores its token behind a one-time hand-off code and sends the
browser to `/auth/complete`, the HTTP route that sets the HttpOnly cookie. The code is bound to this browser's
pre-login cookie, read from the socket's headers (`session_handoff`): the page comes through `/auth/prelogin` first
when the socket connected without one, so that a code works only in the browser that typed the password.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote, urlencode

import reflex as rx
from sqlmodel import Session

from jo_app.services import ratelimit
from jo_app.services.accounts import device_cookies, login, session_handoff, sessions
from jo_app.services.accounts.session_handoff import PRELOGIN_COOKIE
from jo_app.services.errors import DomainError
from jo_app.services.orders import cart
from jo_app.state.account_common import call_service, error_of, hard_redirect
from jo_app.state.auth import AuthState, cookie_value
from jo_app.web.redirects import safe_next

STEP_CREDENTIALS = "credentials"
STEP_TOTP = "totp"
DEFAULT_AFTER_LOGIN = "/billets"
# Where each role lands after login when no explicit `next` was asked for (staff have no tickets of their own).
LANDING_BY_ROLE = {"employee": "/controle", "admin": "/admin"}


def landing_for(role: str | None) -> str:
    """The default page after login for `role`."""
    return LANDING_BY_ROLE.get(str(role or ""), DEFAULT_AFTER_LOGIN)


def browser_nonce(cookie_header: str | None) -> str | None:
    """The pre-login cookie of the socket's browser (captured at connection time), None if absent or malformed."""
    value = cookie_value(cookie_header, PRELOGIN_COOKIE)
    return value if session_handoff.valid_nonce(value) else None


def open_session(db: Session, user_id: int, client_ip: str | None, user_agent: str | None,
                 nonce: str) -> str:
    """Open a server session for a user whose identity was just proven, and return its one-time hand-off code,
    bound to this browser's pre-login cookie `nonce`.

    The single way into the HttpOnly cookie: the login form and the sign-up verification both go through it.
    """
    token = sessions.create_session(db, user_id, client_ip=client_ip, user_agent=user_agent)
    return session_handoff.create_handoff(db, token, browser_nonce=nonce)


def complete_login(handoff: str, next_path: str) -> rx.event.EventSpec:
    """Send the browser through `/auth/complete`, which sets the cookie and then opens `next_path`."""
    target = quote(safe_next(next_path, DEFAULT_AFTER_LOGIN), safe="/")
    return hard_redirect(f"/auth/complete?code={handoff}&next={target}", fresh_state=True)


def _login(db: Session, email: str, password: str, code: str | None, client_ip: str | None,
           user_agent: str | None, nonce: str, device_token: str | None = None) -> tuple[str, bool, str]:
    """Authenticate, open a session, and return (one-time hand-off code bound to the browser, recovery code used,
    role). `device_token`: the browser's device cookie (set by /auth/complete after a login), which keeps its own
    failure budget (`services.accounts.login_throttle`)."""
    result = login.authenticate(db, email=email, password=password, totp_code=code, client_ip=client_ip,
                                device_token=device_token)
    return (open_session(db, result.user_id, client_ip, user_agent, nonce), result.used_recovery_code,
            str(result.role))



class LoginState(AuthState):
    """The login form. Public vars hold only what the visitor typed (e-mail) and UI flags."""

    email: str = ""
    step: str = STEP_CREDENTIALS
    errors: dict[str, str] = {}
    notice: str = ""
    busy: bool = False
    register_href: str = "/inscription"  # the sign-up link keeps the page the visitor came from (`next`)

    def _explicit_next(self) -> str | None:
        value = safe_next(self.router.url.query_parameters.get("next"), "")
        return value or None

    def _next_path(self, role: str | None = None) -> str:
        return self._explicit_next() or landing_for(role)

    def _browser_nonce(self) -> str | None:
        """This browser's pre-login cookie as the socket saw it at connection time (None if absent or malformed)."""
        return browser_nonce(self.router.headers.cookie)

    def _through_prelogin(self) -> rx.event.EventSpec:
        """Reload this page through /auth/prelogin: the new socket then carries the pre-login cookie."""
        params = {k: str(v) for k, v in self.router.url.query_parameters.items()} | {"prelogin": "1"}
        back = "/connexion?" + urlencode(params)
        return hard_redirect("/auth/prelogin?next=" + quote(back, safe=""))

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
        elif params.get("foreign"):
            self.notice = "err.handoff_foreign"
        else:
            self.notice = ""
        if params.get("email") and not self.email:
            self.email = str(params.get("email"))[:254]
        explicit = self._explicit_next()
        self.register_href = f"/inscription?next={quote(explicit, safe='/')}" if explicit else "/inscription"
        info = await self.current_user()
        if info is not None:
            return rx.redirect(self._next_path(info.role))
        if self._browser_nonce() is None:
            if params.get("prelogin"):  # came back from /auth/prelogin still without it: cookies are blocked
                self.notice = "err.cookies_needed"
            else:
                return self._through_prelogin()
        return None

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
        nonce = self._browser_nonce()
        if nonce is None:
            self.errors = {"form": "err.cookies_needed"}
            yield self._through_prelogin()
            return
        device = cookie_value(self.router.headers.cookie, device_cookies.COOKIE_NAME)
        if ratelimit.retry_after("login", self._client_ip(), device_cookies.rate_limit_identity(device, email)):
            self.errors = {"form": "err.rate_limited"}
            return
        self.busy = True
        yield
        try:
            handoff, _recovery, role = await call_service(
                _login, email, password, code, self._client_ip(), self.router.headers.user_agent[:255] or None,
                nonce, device,
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
        yield complete_login(handoff, self._next_path(role))

    @rx.event
    async def logout(self):
        """Revoke this browser's session in the database, then let the HTTP route forget the cookie."""
        token = self._session_token()
        user = await self.require_user() if token else None
        if token:
            with contextlib.suppress(DomainError):
                await call_service(sessions.revoke_session, token)
        if user is not None:  # the cart stays; its held seats go back on sale
            with contextlib.suppress(DomainError):
                await call_service(cart.release_holds, user.user_id)  # live seats: the service's event
        self.is_authenticated, self.user_first_name, self.user_role = False, "", ""
        self.errors, self.notice, self.step = {}, "", STEP_CREDENTIALS
        return hard_redirect("/auth/cleared?next=/connexion%3Fbye%3D1", fresh_state=True)
