"""One-time e-mail codes: address verification and password reset, and the limits that make guessing hopeless.

- A code is CODE_LENGTH (10) symbols of Crockford's base-32 alphabet (no I, L, O, U; 32**10 = 2**50 values),
  mailed as "XXXXX-XXXXX"; typing is forgiving (case, spaces, dashes, O/0 and I/L/1). It is stored as an HMAC
  under a server sub-key, expires after `verification_code_ttl_seconds` and dies after MAX_CODE_ATTEMPTS wrong
  guesses (attempts are reserved with a conditional UPDATE before the comparison, so parallel guesses cannot
  exceed it). Issuing a code kills the earlier ones of the same purpose; rows are kept 24 h for the limits below.
- Asking for a code (reset, resend): per client address and per e-mail address (`code_request` rate limit,
  shared through Redis), and per account a cool-down that doubles with each code of the last 24 h
  (COOLDOWN_BASE, 2x, ... up to COOLDOWN_CAP) and at most CODES_PER_DAY codes: within the cool-down nothing is
  mailed, and the caller answers the same (the victim of a flood gets one mail per window, not one per request).
- Guessing: per client address and per e-mail address (`code_guess` rate limit), and a database backstop that
  holds without Redis: at most DAILY_GUESS_BUDGET wrong guesses per account and purpose over 24 h, whatever the
  number of codes. docs/security.md has the arithmetic.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import EmailCode, EmailCodePurpose, User
from jo_app.services import audit, mail_jobs, ratelimit
from jo_app.services.accounts.common import find_active_user_by_email, lenient_email
from jo_app.services.accounts.passwords import hash_password, validate_password_policy
from jo_app.services.accounts.sessions import revoke_all_sessions
from jo_app.services.errors import RateLimitedError, ValidationError
from jo_app.services.keys import _server_key
from jo_app.timeutil import utcnow

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
CODE_LENGTH = 10
MAX_CODE_ATTEMPTS = 5
DAILY_GUESS_BUDGET = 20
CODES_PER_DAY = 8
COOLDOWN_BASE = timedelta(seconds=60)
COOLDOWN_CAP = timedelta(hours=1)
LIMIT_WINDOW = timedelta(hours=24)
INVALID_CODE_MESSAGE = "Invalid or expired code."
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def generate_code() -> str:
    """A fresh random code (CODE_LENGTH symbols, about 50 bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """The code as mailed: two groups of five ("7K3QD-M9X2A")."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def normalize_code(text: str | None) -> str:
    """What the person typed, in canonical form: upper case, no spaces or dashes, O->0 and I/L->1."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -\t\n\r").translate(_TYPOS)


def _code_mac(user_id: int, purpose: str, code: str) -> str:
    message = f"{user_id}|{purpose}|{code}".encode()
    return hmac.new(_server_key("email-code"), message, hashlib.sha256).hexdigest()


def issue_email_code(session: Session, user_id: int, purpose: EmailCodePurpose | str) -> str:
    """Create a fresh code for `purpose` (earlier ones die) and return it formatted for mailing. No commit.

    No limit is checked here: callers that answer a request go through `request_password_reset` or
    `resend_verification_code`."""
    purpose = EmailCodePurpose(purpose).value
    now = utcnow()
    mine = (EmailCode.user_id == user_id) & (EmailCode.purpose == purpose)
    session.execute(delete(EmailCode).where(mine, EmailCode.created_at <= now - LIMIT_WINDOW))
    session.execute(update(EmailCode).where(mine, EmailCode.expires_at > now).values(expires_at=now)
                    .execution_options(synchronize_session=False))
    code = generate_code()
    session.add(EmailCode(
        user_id=user_id, purpose=purpose, code_hash=_code_mac(user_id, purpose, code), created_at=now,
        expires_at=now + timedelta(seconds=get_settings().verification_code_ttl_seconds),
    ))
    session.flush()
    return format_code(code)


def _recent(user_id: int, purpose: str):
    return (EmailCode.user_id == user_id) & (EmailCode.purpose == purpose) & (
        EmailCode.created_at > utcnow() - LIMIT_WINDOW)


def cooldown_remaining(session: Session, user_id: int, purpose: EmailCodePurpose | str) -> int:
    """Seconds before the account may be sent another code of `purpose` (0: now). After the n-th code of the last
    24 h the wait is COOLDOWN_BASE * 2**(n-1), capped at COOLDOWN_CAP; after CODES_PER_DAY codes, until the
    oldest leaves the 24 h window."""
    purpose = EmailCodePurpose(purpose).value
    created = session.exec(select(EmailCode.created_at).where(_recent(user_id, purpose))
                           .order_by(EmailCode.created_at)).all()
    if not created:
        return 0
    if len(created) >= CODES_PER_DAY:
        until = created[-CODES_PER_DAY] + LIMIT_WINDOW
    else:
        until = created[-1] + min(COOLDOWN_BASE * 2 ** (len(created) - 1), COOLDOWN_CAP)
    return max(0, math.ceil((until - utcnow()).total_seconds()))


def _wrong_guesses_today(session: Session, user_id: int, purpose: str) -> int:
    total = session.exec(select(func.coalesce(func.sum(EmailCode.failed_attempts), 0))
                         .where(_recent(user_id, purpose))).one()
    return int(total)


def _limit(scope: str, client_ip: str | None, email: str | None) -> None:
    """Count one request or guess for the address and the e-mail (known account or not: no enumeration)."""
    wait = ratelimit.retry_after(scope, client_ip, f"code:{lenient_email(email)}")
    if wait is not None:
        raise RateLimitedError(wait)


def _lock_user(session: Session, user_id: int) -> None:
    """Serialize the code requests of one account (PostgreSQL row lock until commit; SQLite writes are serial)."""
    session.exec(select(User.id).where(User.id == user_id).with_for_update()).one()


def _consume_code(session: Session, user: User | None, purpose: str, code: str | None) -> bool:
    """Spend one attempt on the user's live code for `purpose`; True (code used up) if it matches. Commits on
    failure so the attempt counts even though the caller raises. Past DAILY_GUESS_BUDGET wrong guesses in 24 h,
    every guess fails, even with the right code."""
    cleaned = normalize_code(code)
    now = utcnow()
    row = None
    if user is not None and _wrong_guesses_today(session, user.id, purpose) < DAILY_GUESS_BUDGET:
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
    if not (len(cleaned) == CODE_LENGTH and hmac.compare_digest(row.code_hash, _code_mac(user.id, purpose, cleaned))):
        session.commit()  # the wrong guess stays counted
        return False
    used = session.execute(
        update(EmailCode)
        .where(EmailCode.id == row.id, EmailCode.used_at.is_(None))
        .values(used_at=now, failed_attempts=EmailCode.failed_attempts - 1)
        .execution_options(synchronize_session=False)
    )
    return used.rowcount == 1


def verify_email(session: Session, email: str, code: str, client_ip: str | None = None) -> None:
    """Mark the address verified with the code mailed at registration. Generic error on any failure;
    RateLimitedError past the guess limits. Commits."""
    _limit("code_guess", client_ip, email)
    user = find_active_user_by_email(session, email)
    if not _consume_code(session, user, EmailCodePurpose.VERIFY_EMAIL, code):
        raise ValidationError(INVALID_CODE_MESSAGE, code="invalid_code", field="code")
    user.is_verified = True
    session.add(user)
    audit.record(session, "user.email_verified", actor_id=user.id, target_type="user", target_id=user.id)
    session.commit()


def _code_if_due(session: Session, user: User, purpose: EmailCodePurpose) -> str | None:
    """A fresh code, its mail queued in the same transaction (a durable job, the code sealed), unless the
    account's cool-down runs (then None: nothing mailed). Commits."""
    _lock_user(session, user.id)
    if cooldown_remaining(session, user.id, purpose) > 0:
        session.commit()
        return None
    code = issue_email_code(session, user.id, purpose)
    mail_jobs.queue_code(session, user.id, purpose, code)
    action = "password.reset_requested" if purpose == EmailCodePurpose.RESET_PASSWORD else "user.code_resent"
    audit.record(session, action, actor_id=user.id, target_type="user", target_id=user.id)
    session.commit()
    return code


def request_password_reset(session: Session, email: str, client_ip: str | None = None) -> str | None:
    """The reset code just queued for mailing, or None when nothing is mailed (no such account, or its cool-down
    runs): the caller shows the same message either way. RateLimitedError past the request limits. Commits."""
    _limit("code_request", client_ip, email)
    user = find_active_user_by_email(session, email)
    if user is None:
        return None
    return _code_if_due(session, user, EmailCodePurpose.RESET_PASSWORD)


def resend_verification_code(session: Session, email: str, client_ip: str | None = None, *,
                             user_id: int | None = None) -> tuple[str, str, str] | None:
    """(address, first name, new code) queued for mailing to an unverified account (`user_id` when given must
    match), or None when nothing is mailed (unknown or verified account, cool-down). RateLimitedError past the request
    limits. Commits."""
    _limit("code_request", client_ip, email)
    user = find_active_user_by_email(session, email)
    if user is None or user.is_verified or (user_id is not None and user.id != user_id):
        return None
    code = _code_if_due(session, user, EmailCodePurpose.VERIFY_EMAIL)
    return None if code is None else (user.email, user.first_name, code)


def reset_password(session: Session, email: str, code: str, new_password: str, client_ip: str | None = None) -> None:
    """Set a new password with a mailed reset code; every session is revoked. Commits.

    The password policy is checked first, so a rejected password does not burn an attempt. A successful reset also
    proves control of the mailbox, so the address becomes verified. RateLimitedError past the guess limits.
    """
    user = find_active_user_by_email(session, email)
    validate_password_policy(new_password, email=user.email if user else email)
    _limit("code_guess", client_ip, email)
    if not _consume_code(session, user, EmailCodePurpose.RESET_PASSWORD, code):
        raise ValidationError(INVALID_CODE_MESSAGE, code="invalid_code", field="code")
    user.password_hash = hash_password(new_password)
    user.is_verified = True
    session.add(user)
    revoke_all_sessions(session, user.id, commit=False)
    audit.record(session, "password.reset", actor_id=user.id, target_type="user", target_id=user.id)
    session.commit()
