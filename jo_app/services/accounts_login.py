"""Login: password check, brute-force lockout and the second factor.

Rules:
- unknown e-mail, wrong password and anonymized account all give the same `invalid_credentials` error, and an
  unknown e-mail still costs one bcrypt verification (no timing oracle);
- lockout: once `lockout_threshold` failures happened within `lockout_window_seconds` for the e-mail (counted
  since its last successful login) or for the client address, further attempts are refused with `locked_out`
  before the password is even checked. Refused attempts are audited (`login.locked_out`) but not stored as
  LoginAttempt rows, so the lock lifts at a fixed time instead of sliding while an attacker keeps trying;
- an administrator-locked account gets `account_locked`, only once the right password was given;
- with 2FA on, a right password without a code gives `totp_required` (not a failure; the UI asks for the code),
  a wrong code gives `invalid_totp` (a failure). A recovery code is accepted in place of the TOTP code (spent);
- an unverified e-mail address does NOT block login: `AuthResult.is_verified` lets the UI nag the user and lets
  services refuse what needs a verified address (e.g. checkout).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import LoginAttempt, User
from jo_app.services import audit
from jo_app.services.accounts_common import find_active_user_by_email, lenient_email
from jo_app.services.errors import AuthenticationError
from jo_app.services.passwords import burn_verify_time, verify_password
from jo_app.services.twofactor import verify_second_factor
from jo_app.timeutil import utcnow

INVALID_CREDENTIALS = "Invalid e-mail or password."


@dataclass(frozen=True)
class AuthResult:
    user_id: int
    role: str
    is_verified: bool
    totp_enabled: bool
    used_recovery_code: bool = False


class LockedOutError(AuthenticationError):
    """Too many failures: `retry_after_seconds` tells when the next attempt will be considered."""

    code = "locked_out"

    def __init__(self, retry_after_seconds: int) -> None:
        minutes = max(1, math.ceil(retry_after_seconds / 60))
        super().__init__(
            f"Too many failed login attempts. Try again later (in about {minutes} minute{'s' if minutes > 1 else ''})."
        )
        self.retry_after_seconds = retry_after_seconds


def _lock_release(failures: list[datetime], now: datetime) -> int | None:
    """Seconds until the lock lifts if `failures` (newest first, all inside the window) reach the threshold."""
    settings = get_settings()
    if len(failures) < settings.lockout_threshold:
        return None
    expires = failures[settings.lockout_threshold - 1] + timedelta(seconds=settings.lockout_window_seconds)
    return max(1, math.ceil((expires - now).total_seconds()))


def lockout_remaining(session: Session, email: str, client_ip: str | None, now: datetime | None = None) -> int | None:
    """Seconds left on a lockout of this e-mail or client address, or None when attempts are allowed."""
    now = now or utcnow()
    since = now - timedelta(seconds=get_settings().lockout_window_seconds)
    last_success = session.exec(
        select(LoginAttempt.created_at)
        .where(LoginAttempt.email == email, LoginAttempt.succeeded, LoginAttempt.created_at >= since)
        .order_by(LoginAttempt.created_at.desc())
    ).first()
    email_since = max(since, last_success) if last_success else since
    by_email = session.exec(
        select(LoginAttempt.created_at)
        .where(LoginAttempt.email == email, ~LoginAttempt.succeeded, LoginAttempt.created_at > email_since)
        .order_by(LoginAttempt.created_at.desc())
    ).all()
    waits = [_lock_release(list(by_email), now)]
    if client_ip:
        by_ip = session.exec(
            select(LoginAttempt.created_at)
            .where(LoginAttempt.client_ip == client_ip, ~LoginAttempt.succeeded, LoginAttempt.created_at > since)
            .order_by(LoginAttempt.created_at.desc())
        ).all()
        waits.append(_lock_release(list(by_ip), now))
    waits = [w for w in waits if w is not None]
    return max(waits) if waits else None


def _fail(session: Session, email: str, client_ip: str | None, user: User | None, reason: str,
          error: AuthenticationError) -> AuthenticationError:
    session.add(LoginAttempt(email=email, client_ip=client_ip, succeeded=False))
    audit.record(session, "login.failed", actor_id=user.id if user else None, target_type="user",
                 target_id=user.id if user else None, client_ip=client_ip, email=email, reason=reason)
    session.commit()
    return error


def authenticate(session: Session, *, email: str, password: str, totp_code: str | None = None,
                 client_ip: str | None = None) -> AuthResult:
    """Check credentials (see the module docstring for the rules). Records the attempt and commits."""
    email_key = lenient_email(email)
    client_ip = (client_ip or None) and client_ip[:45]
    wait = lockout_remaining(session, email_key, client_ip)
    if wait is not None:
        audit.record(session, "login.locked_out", client_ip=client_ip, email=email_key, retry_after_seconds=wait)
        session.commit()
        raise LockedOutError(wait)

    invalid = AuthenticationError(INVALID_CREDENTIALS, code="invalid_credentials")
    user = find_active_user_by_email(session, email_key)
    if user is None:
        burn_verify_time(password)
        raise _fail(session, email_key, client_ip, None, "unknown_user", invalid)
    if not verify_password(password or "", user.password_hash):
        raise _fail(session, email_key, client_ip, user, "wrong_password", invalid)
    if user.is_locked:
        raise _fail(session, email_key, client_ip, user, "account_locked", AuthenticationError(
            "This account has been locked. Please contact support.", code="account_locked"))

    used_recovery = False
    if user.totp_enabled:
        if totp_code is None or not totp_code.strip():
            raise AuthenticationError("Enter the code from your authenticator app.", code="totp_required")
        accepted, used_recovery = verify_second_factor(session, user, totp_code)
        if not accepted:
            raise _fail(session, email_key, client_ip, user, "invalid_totp", AuthenticationError(
                "Invalid authentication code.", code="invalid_totp"))

    now = utcnow()
    user.last_login_at = now
    session.add(user)
    session.add(LoginAttempt(email=email_key, client_ip=client_ip, succeeded=True, created_at=now))
    audit.record(session, "login.succeeded", actor_id=user.id, target_type="user", target_id=user.id,
                 client_ip=client_ip, recovery_code=used_recovery)
    session.commit()
    return AuthResult(user_id=user.id, role=user.role, is_verified=user.is_verified,
                      totp_enabled=user.totp_enabled, used_recovery_code=used_recovery)
