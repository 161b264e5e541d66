"""Login: password check, throttling with device budgets, and the second factor.

Rules:
- unknown e-mail, wrong password and anonymized account all give the same `invalid_credentials` error, and an
  unknown e-mail still costs one bcrypt verification (no timing oracle);
- throttling (`services.accounts.login_throttle`): failures delay further attempts of the same scope with growing waits
  (per known device; else per account, per (account, address) and per address), and a refused attempt gets
  `locked_out` with the seconds to wait, before the password is even checked. Refused attempts are audited
  (`login.locked_out`) but not stored as LoginAttempt rows, so waiting is what lifts the delay. No account is
  ever locked by failures: a known device (`device_token`, a valid device cookie of the account) is never
  delayed by failures made elsewhere;
- an administrator-locked account gets `account_locked`, only once the right password was given;
- with 2FA on, a right password without a code gives `totp_required` (not a failure; the UI asks for the code),
  a wrong code gives `invalid_totp` (a failure). A recovery code is accepted in place of the TOTP code (spent);
- an unverified e-mail address does NOT block login: `AuthResult.is_verified` lets the UI nag the user and lets
  services refuse what needs a verified address (e.g. checkout).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from jo_app.models import LoginAttempt, User
from jo_app.services import audit
from jo_app.services.accounts import device_cookies, login_throttle
from jo_app.services.accounts.common import find_active_user_by_email, lenient_email
from jo_app.services.accounts.passwords import burn_verify_time, verify_password
from jo_app.services.accounts.twofactor import verify_second_factor
from jo_app.services.errors import AuthenticationError
from jo_app.timeutil import utcnow

INVALID_CREDENTIALS = "Invalid e-mail or password."


@dataclass(frozen=True)
class AuthResult:
    user_id: int
    role: str
    is_verified: bool
    totp_enabled: bool
    used_recovery_code: bool = False
    known_device: bool = False  # the attempt came with a valid device cookie of this account


class LockedOutError(AuthenticationError):
    """Too many failures: `retry_after_seconds` tells when the next attempt will be considered."""

    code = "locked_out"

    def __init__(self, retry_after_seconds: int) -> None:
        minutes = max(1, math.ceil(retry_after_seconds / 60))
        delay = (f"{retry_after_seconds} second{'s' if retry_after_seconds > 1 else ''}" if retry_after_seconds < 60
                 else f"about {minutes} minute{'s' if minutes > 1 else ''}")
        super().__init__(f"Too many failed login attempts. Try again later (in {delay}).")
        self.retry_after_seconds = retry_after_seconds


def lockout_remaining(session: Session, email: str, client_ip: str | None, now: datetime | None = None,
                      device_token: str | None = None) -> int | None:
    """Seconds before an attempt on `email` from this address / device may be considered, or None (allowed)."""
    user = find_active_user_by_email(session, email)
    device_id = device_cookies.device_for(device_token, user.id) if user is not None else None
    return login_throttle.retry_after(session, email, client_ip, device_id, now or utcnow())


def _fail(session: Session, email: str, client_ip: str | None, user: User | None, reason: str,
          error: AuthenticationError, device_id: str | None = None) -> AuthenticationError:
    session.add(LoginAttempt(email=email, client_ip=client_ip, device_id=device_id, succeeded=False))
    audit.record(session, "login.failed", actor_id=user.id if user else None, target_type="user",
                 target_id=user.id if user else None, client_ip=client_ip, email=email, reason=reason)
    session.commit()
    return error


def authenticate(session: Session, *, email: str, password: str, totp_code: str | None = None,
                 client_ip: str | None = None, device_token: str | None = None) -> AuthResult:
    """Check credentials (see the module docstring for the rules). Records the attempt and commits.
    `device_token`: the client's device cookie, if any (a known device keeps its own failure budget)."""
    email_key = lenient_email(email)
    client_ip = (client_ip or None) and client_ip[:45]
    user = find_active_user_by_email(session, email_key)
    device_id = device_cookies.device_for(device_token, user.id) if user is not None else None
    wait = login_throttle.retry_after(session, email_key, client_ip, device_id, utcnow())
    if wait is not None:
        audit.record(session, "login.locked_out", client_ip=client_ip, email=email_key, retry_after_seconds=wait,
                     known_device=device_id is not None)
        session.commit()
        raise LockedOutError(wait)

    def fail(reason: str, error: AuthenticationError) -> AuthenticationError:
        return _fail(session, email_key, client_ip, user, reason, error, device_id)

    invalid = AuthenticationError(INVALID_CREDENTIALS, code="invalid_credentials")
    if user is None:
        burn_verify_time(password)
        raise fail("unknown_user", invalid)
    if not verify_password(password or "", user.password_hash):
        raise fail("wrong_password", invalid)
    if user.is_locked:
        raise fail("account_locked", AuthenticationError(
            "This account has been locked. Please contact support.", code="account_locked"))

    used_recovery = False
    if user.totp_enabled:
        if totp_code is None or not totp_code.strip():
            raise AuthenticationError("Enter the code from your authenticator app.", code="totp_required")
        accepted, used_recovery = verify_second_factor(session, user, totp_code)
        if not accepted:
            raise fail("invalid_totp", AuthenticationError("Invalid authentication code.", code="invalid_totp"))

    now = utcnow()
    user.last_login_at = now
    session.add(user)
    session.add(LoginAttempt(email=email_key, client_ip=client_ip, device_id=device_id, succeeded=True,
                             created_at=now))
    audit.record(session, "login.succeeded", actor_id=user.id, target_type="user", target_id=user.id,
                 client_ip=client_ip, recovery_code=used_recovery)
    session.commit()
    return AuthResult(user_id=user.id, role=user.role, is_verified=user.is_verified,
                      totp_enabled=user.totp_enabled, used_recovery_code=used_recovery,
                      known_device=device_id is not None)
