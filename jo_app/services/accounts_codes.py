"""One-time e-mail codes: address verification and password reset.

Codes are 6 digits, stored as an HMAC under a server sub-key (not reversible without SECRET_KEY), expire after
`verification_code_ttl_seconds`, and die after MAX_CODE_ATTEMPTS wrong guesses. Issuing a code invalidates the
earlier codes of the same purpose. Attempts are reserved with a conditional UPDATE before the comparison, so
parallel guesses cannot exceed the limit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import EmailCode, EmailCodePurpose, User
from jo_app.services import audit
from jo_app.services.accounts_common import find_active_user_by_email
from jo_app.services.errors import ValidationError
from jo_app.services.keys import _server_key
from jo_app.services.passwords import hash_password, validate_password_policy
from jo_app.services.sessions import revoke_all_sessions
from jo_app.timeutil import utcnow

MAX_CODE_ATTEMPTS = 5
INVALID_CODE_MESSAGE = "Invalid or expired code."


def _code_mac(user_id: int, purpose: str, code: str) -> str:
    message = f"{user_id}|{purpose}|{code}".encode()
    return hmac.new(_server_key("email-code"), message, hashlib.sha256).hexdigest()


def issue_email_code(session: Session, user_id: int, purpose: EmailCodePurpose | str) -> str:
    """Create a fresh 6-digit code for `purpose` (earlier ones die) and return it for mailing. No commit."""
    purpose = EmailCodePurpose(purpose).value
    session.execute(delete(EmailCode).where(EmailCode.user_id == user_id, EmailCode.purpose == purpose))
    code = f"{secrets.randbelow(10**6):06d}"
    now = utcnow()
    session.add(EmailCode(
        user_id=user_id, purpose=purpose, code_hash=_code_mac(user_id, purpose, code), created_at=now,
        expires_at=now + timedelta(seconds=get_settings().verification_code_ttl_seconds),
    ))
    session.flush()
    return code


def _consume_code(session: Session, user: User | None, purpose: str, code: str | None) -> bool:
    """Spend one attempt on the user's live code for `purpose`; True (code used up) if it matches. Commits on
    failure so the attempt counts even though the caller raises."""
    cleaned = "".join((code or "").split())
    now = utcnow()
    row = None
    if user is not None:
        row = session.exec(
            select(EmailCode).where(
                EmailCode.user_id == user.id, EmailCode.purpose == purpose, EmailCode.used_at.is_(None),
                EmailCode.expires_at > now, EmailCode.failed_attempts < MAX_CODE_ATTEMPTS,
            ).order_by(EmailCode.created_at.desc(), EmailCode.id.desc())
        ).first()
    if row is None:
        return False
    reserved = session.execute(
        update(EmailCode)
        .where(EmailCode.id == row.id, EmailCode.used_at.is_(None), EmailCode.failed_attempts < MAX_CODE_ATTEMPTS)
        .values(failed_attempts=EmailCode.failed_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if reserved.rowcount != 1:
        session.commit()
        return False
    if not (len(cleaned) == 6 and hmac.compare_digest(row.code_hash, _code_mac(user.id, purpose, cleaned))):
        session.commit()  # the wrong guess stays counted
        return False
    used = session.execute(
        update(EmailCode)
        .where(EmailCode.id == row.id, EmailCode.used_at.is_(None))
        .values(used_at=now, failed_attempts=EmailCode.failed_attempts - 1)
        .execution_options(synchronize_session=False)
    )
    return used.rowcount == 1


def verify_email(session: Session, email: str, code: str) -> None:
    """Mark the address verified with the code mailed at registration. Generic error on any failure. Commits."""
    user = find_active_user_by_email(session, email)
    if not _consume_code(session, user, EmailCodePurpose.VERIFY_EMAIL.value, code):
        raise ValidationError(INVALID_CODE_MESSAGE, code="invalid_code", field="code")
    user.is_verified = True
    session.add(user)
    audit.record(session, "user.email_verified", actor_id=user.id, target_type="user", target_id=user.id)
    session.commit()


def request_password_reset(session: Session, email: str) -> str | None:
    """A reset code to mail, or None when no such account: the caller shows the same message either way. Commits."""
    user = find_active_user_by_email(session, email)
    if user is None:
        return None
    code = issue_email_code(session, user.id, EmailCodePurpose.RESET_PASSWORD)
    audit.record(session, "password.reset_requested", actor_id=user.id, target_type="user", target_id=user.id)
    session.commit()
    return code


def reset_password(session: Session, email: str, code: str, new_password: str) -> None:
    """Set a new password with a mailed reset code; every session is revoked. Commits.

    The password policy is checked first, so a rejected password does not burn an attempt. A successful reset also
    proves control of the mailbox, so the address becomes verified.
    """
    user = find_active_user_by_email(session, email)
    validate_password_policy(new_password, email=user.email if user else email)
    if not _consume_code(session, user, EmailCodePurpose.RESET_PASSWORD.value, code):
        raise ValidationError(INVALID_CODE_MESSAGE, code="invalid_code", field="code")
    user.password_hash = hash_password(new_password)
    user.is_verified = True
    session.add(user)
    revoke_all_sessions(session, user.id, commit=False)
    audit.record(session, "password.reset", actor_id=user.id, target_type="user", target_id=user.id)
    session.commit()
