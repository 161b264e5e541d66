"""Two-factor enrolment on the account page: QR of the otpauth URI + secret, confirmation code, recovery codes
(shown once), and disabling (password + code)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from jo_app.services.accounts import twofactor
from jo_app.services.errors import DomainError
from jo_app.services.qr_image import qr_data_uri
from jo_app.state.account_common import call_service, error_of
from jo_app.state.accounts.account import AccountState


def _begin(db: Session, user_id: int) -> tuple[str, str]:
    enrollment = twofactor.begin_enrollment(db, user_id)
    return enrollment.secret, qr_data_uri(enrollment.otpauth_uri)


def _group(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


class TwoFactorState(AccountState):
    """Enrolment vars are private to the logged-in user and emptied as soon as they are no longer needed."""

    enrolling: bool = False
    qr_uri: str = ""
    secret_display: str = ""
    recovery_codes: list[str] = []
    tf_errors: dict[str, str] = {}
    tf_busy: bool = False
    codes_left: int = 0

    def _clear_enrolment(self) -> None:
        self.enrolling, self.qr_uri, self.secret_display = False, "", ""

    @rx.event
    async def on_load_2fa(self):
        self._clear_enrolment()
        self.recovery_codes, self.tf_errors, self.tf_busy, self.codes_left = [], {}, False, 0
        info = await self.require_user()
        if info is not None and info.totp_enabled:
            try:
                self.codes_left = await call_service(twofactor.remaining_recovery_codes, info.user_id)
            except DomainError:
                self.codes_left = 0

    @rx.event
    async def regenerate(self, form: dict[str, Any]):
        """New recovery codes (the old ones die) after a valid authenticator code; shown once."""
        info = await self._user_or_clear()
        if info is None or self.tf_busy:
            return
        code = str(form.get("regen_code") or "").strip()[:16]
        self.tf_errors = {}
        if not code:
            self.tf_errors = {"tf_regen_code": "err.required"}
            return
        self.tf_busy = True
        yield
        try:
            codes = await call_service(twofactor.regenerate_recovery_codes, info.user_id, code)
        except DomainError as exc:
            self.tf_busy, self.tf_errors = False, {"tf_regen_code": error_of(exc)[1]}
            return
        self.tf_busy, self.recovery_codes, self.codes_left = False, codes, len(codes)
        self.notice = "msg.codes_regenerated"

    @rx.event
    async def start(self):
        info = await self._user_or_clear()
        if info is None or self.tf_busy:
            return
        self.tf_errors, self.notice = {}, ""
        try:
            secret, qr = await call_service(_begin, info.user_id)
        except DomainError as exc:
            self.tf_errors = {"tf_form": error_of(exc)[1]}
            return
        self.enrolling, self.qr_uri, self.secret_display = True, qr, _group(secret)

    @rx.event
    def cancel(self):
        self._clear_enrolment()
        self.tf_errors = {}

    @rx.event
    async def confirm(self, form: dict[str, Any]):
        info = await self._user_or_clear()
        if info is None or self.tf_busy:
            return
        code = str(form.get("totp_code") or "").strip()[:16]
        self.tf_errors = {}
        if not code:
            self.tf_errors = {"tf_code": "err.required"}
            return
        self.tf_busy = True
        yield
        try:
            codes = await call_service(twofactor.confirm_enrollment, info.user_id, code)
        except DomainError as exc:
            self.tf_busy = False
            self.tf_errors = {"tf_code": error_of(exc)[1]}
            return
        self.tf_busy = False
        self._clear_enrolment()
        self.recovery_codes, self.totp_enabled, self.notice = codes, True, "msg.2fa_enabled"
        self.codes_left = len(codes)

    @rx.event
    def codes_saved(self):
        self.recovery_codes = []

    @rx.event
    async def disable(self, form: dict[str, Any]):
        info = await self._user_or_clear()
        if info is None or self.tf_busy:
            return
        password = str(form.get("tf_password") or "")[:1024]
        code = str(form.get("tf_disable_code") or "").strip()[:32]
        self.tf_errors = {k: "err.required" for k, v in (("tf_password", password), ("tf_disable_code", code))
                          if not v}
        if self.tf_errors:
            return
        self.tf_busy = True
        yield
        try:
            await call_service(twofactor.disable, info.user_id, password, code)
        except DomainError as exc:
            self.tf_busy = False
            field, key = error_of(exc)
            self.tf_errors = {"tf_password" if field == "password" else "tf_disable_code": key}
            return
        self.tf_busy, self.totp_enabled, self.notice = False, False, "msg.2fa_disabled"
        self.codes_left = 0
