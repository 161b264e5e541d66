"""Two-factor authentication: TOTP (RFC 6238, 30 s, 6 digits) and one-time recovery codes.

A TOTP time step is accepted at most once per user: the accepted step is stored in `users.totp_last_step` by a
conditional UPDATE, so two concurrent logins with the same code cannot both pass.

The secret is stored sealed (`services.secretbox`: AES-256-GCM under SECRET_KEY, bound to the user id) in
`users.totp_secret_encrypted`; a database dump alone does not give anyone's codes. A value that does not open
(SECRET_KEY changed, row tampered with) accepts no TOTP code; recovery codes still work.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from dataclasses import dataclass

import pyotp
from sqlalchemy import delete, or_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from jo_app.models import RecoveryCode, User
from jo_app.services import audit, secretbox
from jo_app.services.accounts.passwords import verify_password
from jo_app.services.errors import ConflictError, NotFoundError, ValidationError
from jo_app.services.keys import hash_token
from jo_app.timeutil import utcnow

ISSUER = "JO E-Tickets"
SECRET_LENGTH = 32  # base32 characters = 160 bits
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i look-alikes
STEP_TOLERANCE = (-1, 0, 1)
SEAL_PURPOSE = "totp-secret"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Enrollment:
    """A pending TOTP enrollment: show the secret / QR of `otpauth_uri`, then confirm with a code."""

    secret: str
    otpauth_uri: str


def _seal(user_id: int, secret: str) -> str:
    return secretbox.seal(secret, purpose=SEAL_PURPOSE, context=f"user:{user_id}")


def stored_secret(user: User) -> str | None:
    """The user's TOTP secret (base32), opened from its sealed form; None when absent or unreadable."""
    if not user.totp_secret_encrypted:
        return None
    try:
        return secretbox.open_sealed(user.totp_secret_encrypted, purpose=SEAL_PURPOSE, context=f"user:{user.id}")
    except secretbox.SealedValueError:
        log.error("TOTP secret of user %s does not decrypt (SECRET_KEY changed?)", user.id)
        return None


def _load_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id, populate_existing=True)
    if user is None or user.anonymized_at is not None:
        raise NotFoundError("Account not found.", code="user_not_found")
    return user


def _clean_totp(code: str | None) -> str | None:
    value = "".join((code or "").split())
    return value if len(value) == 6 and value.isdigit() else None


def _normalize_recovery(code: str | None) -> str | None:
    value = "".join((code or "").split()).replace("-", "").lower()
    return value if len(value) == 12 and all(c in RECOVERY_ALPHABET for c in value) else None


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (within one step of now) whose code equals `code`, else None."""
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // totp.interval)
    matched = None
    for offset in STEP_TOLERANCE:
        step = current + offset
        if hmac.compare_digest(totp.generate_otp(step), code):
            matched = step
    return matched


def _claim_step(session: Session, user: User, step: int) -> bool:
    """Atomically record `step` as used; False if this or a later step was already accepted."""
    result = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        set_committed_value(user, "totp_last_step", step)  # mirror the row without a second UPDATE
        return True
    return False


def verify_totp(session: Session, user: User, code: str | None) -> bool:
    """True if `code` is the user's current TOTP (one step tolerance) and its step was never used. No commit."""
    cleaned = _clean_totp(code)
    secret = stored_secret(user) if cleaned is not None else None
    if cleaned is None or secret is None:
        return False
    step = _matching_step(secret, cleaned)
    if step is None:
        return False
    if user.totp_last_step is not None and step <= user.totp_last_step:
        return False
    return _claim_step(session, user, step)


def _recovery_hash(code: str) -> str:
    return hash_token(f"recovery:{code}")


def consume_recovery_code(session: Session, user: User, code: str | None) -> bool:
    """True (and the code is spent) if `code` is one of the user's unused recovery codes. No commit."""
    normalized = _normalize_recovery(code)
    if normalized is None:
        return False
    row = session.exec(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(normalized),
            RecoveryCode.used_at.is_(None),
        )
    ).first()
    if row is None:
        return False
    result = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return result.rowcount == 1


def verify_second_factor(session: Session, user: User, code: str | None) -> tuple[bool, bool]:
    """Check a TOTP code or else a recovery code: (accepted, was_recovery_code). No commit."""
    if verify_totp(session, user, code):
        return True, False
    if consume_recovery_code(session, user, code):
        return True, True
    return False, False


def _new_recovery_codes(session: Session, user_id: int) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(12))
        session.add(RecoveryCode(user_id=user_id, code_hash=_recovery_hash(raw)))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


def begin_enrollment(session: Session, user_id: int) -> Enrollment:
    """Create a new (not yet active) TOTP secret for the user. Commits."""
    user = _load_user(session, user_id)
    if user.totp_enabled:
        raise ConflictError("Two-factor authentication is already enabled.", code="totp_already_enabled")
    secret = pyotp.random_base32(SECRET_LENGTH)
    user.totp_secret_encrypted = _seal(user.id, secret)
    user.totp_enabled = False
    user.totp_last_step = None
    session.add(user)
    session.commit()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrollment(secret=secret, otpauth_uri=uri)


def confirm_enrollment(session: Session, user_id: int, code: str) -> list[str]:
    """Enable TOTP once the user proves the authenticator works; returns 10 recovery codes (shown once). Commits."""
    user = _load_user(session, user_id)
    if user.totp_enabled:
        raise ConflictError("Two-factor authentication is already enabled.", code="totp_already_enabled")
    if not user.totp_secret_encrypted:
        raise ConflictError("Start the two-factor set-up first.", code="totp_not_started")
    if not verify_totp(session, user, code):
        raise ValidationError("Invalid authentication code.", code="invalid_totp", field="code")
    user.totp_enabled = True
    session.add(user)
    codes = _new_recovery_codes(session, user.id)
    audit.record(session, "2fa.enabled", actor_id=user.id, target_type="user", target_id=user.id)
    session.commit()
    return codes


def disable(session: Session, user_id: int, password: str, code: str) -> None:
    """Turn TOTP off; needs the password and a valid TOTP or recovery code. Commits."""
    user = _load_user(session, user_id)
    if not user.totp_enabled:
        raise ConflictError("Two-factor authentication is not enabled.", code="totp_not_enabled")
    if not verify_password(password, user.password_hash):
        raise ValidationError("Current password is incorrect.", code="invalid_password", field="password")
    accepted, _ = verify_second_factor(session, user, code)
    if not accepted:
        raise ValidationError("Invalid authentication code.", code="invalid_totp", field="code")
    user.totp_enabled = False
    user.totp_secret_encrypted = None
    user.totp_last_step = None
    session.add(user)
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(session, "2fa.disabled", actor_id=user.id, target_type="user", target_id=user.id)
    session.commit()


def regenerate_recovery_codes(session: Session, user_id: int, code: str) -> list[str]:
    """Replace all recovery codes (after a valid TOTP code); returns the new ones. Commits."""
    user = _load_user(session, user_id)
    if not user.totp_enabled:
        raise ConflictError("Two-factor authentication is not enabled.", code="totp_not_enabled")
    if not verify_totp(session, user, code):
        raise ValidationError("Invalid authentication code.", code="invalid_totp", field="code")
    codes = _new_recovery_codes(session, user.id)
    audit.record(session, "2fa.recovery_codes_regenerated", actor_id=user.id, target_type="user", target_id=user.id)
    session.commit()
    return codes


def remaining_recovery_codes(session: Session, user_id: int) -> int:
    """How many unused recovery codes the user has left."""
    rows = session.exec(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    ).all()
    return len(rows)
