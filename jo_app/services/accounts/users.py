"""Accounts: registration, profile rules, roles and administrative locking."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from jo_app.models import AuditLog, Consent, EmailCodePurpose, Lang, Role, User
from jo_app.services import audit, mail_jobs
from jo_app.services.accounts.common import find_active_user_by_email, load_active_user, normalize_email
from jo_app.services.accounts.email_codes import issue_email_code
from jo_app.services.accounts.passwords import hash_password, validate_password_policy, verify_password
from jo_app.services.accounts.sessions import revoke_all_sessions
from jo_app.services.errors import ConflictError, PermissionDeniedError, ValidationError
from jo_app.services.keys import generate_user_key
from jo_app.timeutil import utcnow

PRIVACY_POLICY_VERSION = "2024-1"
NAME_MAX = 50
_USERNAME = re.compile(r"^[a-z0-9._-]{3,50}$")
_RESERVED_USERNAME_PREFIX = "deleted-"  # used by anonymized accounts
EXISTING_EMAIL_ACTION = "user.register_existing_email"
EXISTING_EMAIL_NOTICE_INTERVAL = timedelta(minutes=15)


@dataclass(frozen=True)
class RegistrationResult:
    """What a sign-up did; its mail is already queued (a durable job). Callers answer the same way in every case:
    when the address already had an account, `user_id` and `verification_code` are None and its owner
    (`first_name` is theirs, not what was typed) gets a notice instead, unless one went out recently
    (`notify_owner` False)."""

    email: str
    first_name: str
    user_id: int | None
    verification_code: str | None
    notify_owner: bool = False


def _clean_name(value: str | None, field: str, label: str) -> str:
    name = " ".join((value or "").split())
    if not 1 <= len(name) <= NAME_MAX:
        raise ValidationError(f"{label} must be 1 to {NAME_MAX} characters.", field=field)
    if any(not ch.isprintable() for ch in name):
        raise ValidationError(f"{label} contains invalid characters.", field=field)
    return name


def _username_taken(session: Session, username: str) -> bool:
    return session.exec(select(User.id).where(User.username == username)).first() is not None


def _derive_username(session: Session, email: str) -> str:
    base = re.sub(r"[^a-z0-9._-]", "", email.split("@", 1)[0])[:40] or "user"
    if base.startswith(_RESERVED_USERNAME_PREFIX):
        base = "user-" + base
    if len(base) < 3:
        base = f"{base}-user"
    base = base[:40]
    candidate = base
    for n in range(2, 50):
        if not _username_taken(session, candidate):
            return candidate
        candidate = f"{base}{n}"
    return f"{base}-{secrets.token_hex(4)}"


def _clean_username(session: Session, username: str) -> str:
    value = username.strip().lower()
    if not _USERNAME.match(value) or value.startswith(_RESERVED_USERNAME_PREFIX):
        raise ValidationError("Username must be 3 to 50 letters, digits, '.', '_' or '-'.", field="username")
    if _username_taken(session, value):
        raise ConflictError("This username is already taken.", code="username_taken", field="username")
    return value


def create_user(session: Session, *, email: str, password: str, first_name: str, last_name: str,
                role: Role | str = Role.VISITOR, username: str | None = None, verified: bool = False,
                consent_version: str | None = None, client_ip: str | None = None, lang: str = "fr") -> User:
    """Validate and add a new user (plus its privacy consent when given); `lang`: the language of its mails.
    Flushes; the caller commits."""
    email = normalize_email(email)
    first = _clean_name(first_name, "first_name", "First name")
    last = _clean_name(last_name, "last_name", "Last name")
    role_value = Role(role).value
    validate_password_policy(password, email=email)
    taken = ConflictError("An account already exists with this e-mail address.", code="email_taken", field="email")
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise taken
    user = User(
        username=_clean_username(session, username) if username else _derive_username(session, email),
        email=email, first_name=first, last_name=last, password_hash=hash_password(password),
        security_key=generate_user_key(), role=role_value, is_verified=verified, lang=Lang(lang),
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race on e-mail or username
        session.rollback()
        raise taken from exc
    if consent_version:
        session.add(Consent(user_id=user.id, kind="privacy_policy", version=consent_version, client_ip=client_ip))
    audit.record(session, "user.registered", actor_id=user.id, target_type="user", target_id=user.id,
                 client_ip=client_ip, role=role_value)
    session.flush()
    return user


def update_profile(session: Session, user_id: int, *, first_name: str, last_name: str) -> None:
    """Change the user's own name (commits). Tickets already issued keep the holder name printed on them."""
    user = load_active_user(session, user_id)
    first = _clean_name(first_name, "first_name", "First name")
    last = _clean_name(last_name, "last_name", "Last name")
    if (first, last) == (user.first_name, user.last_name):
        return
    user.first_name, user.last_name = first, last
    audit.record(session, "user.profile_updated", actor_id=user_id, target_type="user", target_id=user_id)
    session.commit()


def register(session: Session, *, email: str, password: str, first_name: str, last_name: str, consent: bool,
             client_ip: str | None = None, lang: str = "fr") -> RegistrationResult:
    """Self-service sign-up of a visitor with privacy consent (`lang`: the page's language, stored as the
    account's). The mail (verification code, or the notice to an existing owner) is queued as a durable job in
    the same transaction. Commits.

    Never tells whether the address already has an account (account enumeration): the input is validated the same
    way, the password is hashed anyway (same bcrypt time), the existing account is left untouched (no new password,
    no code) and the attempt is audit-logged as `user.register_existing_email`.
    """
    if not consent:
        raise ValidationError("You must accept the privacy policy to create an account.", field="consent")
    email = normalize_email(email)
    first = _clean_name(first_name, "first_name", "First name")
    last = _clean_name(last_name, "last_name", "Last name")
    validate_password_policy(password, email=email)
    owner = find_active_user_by_email(session, email)
    if owner is None:
        try:
            user = create_user(session, email=email, password=password, first_name=first, last_name=last,
                               consent_version=PRIVACY_POLICY_VERSION, client_ip=client_ip, lang=lang)
        except ConflictError as exc:  # a concurrent sign-up with this address committed first (rolled back)
            owner = find_active_user_by_email(session, email) if exc.code == "email_taken" else None
            if owner is None:
                raise
        else:
            code = issue_email_code(session, user.id, EmailCodePurpose.VERIFY_EMAIL)
            mail_jobs.queue_code(session, user.id, EmailCodePurpose.VERIFY_EMAIL, code)
            session.commit()
            return RegistrationResult(email=user.email, first_name=user.first_name, user_id=user.id,
                                      verification_code=code)
    return _existing_email_attempt(session, owner, password, client_ip)


def _existing_email_attempt(session: Session, owner: User, password: str,
                            client_ip: str | None) -> RegistrationResult:
    """Sign-up with a taken address: hash `password` for nothing (timing), audit, at most one notice per
    EXISTING_EMAIL_NOTICE_INTERVAL to the owner (no mail bombing through the sign-up form). Commits."""
    hash_password(password)
    notified = session.exec(
        select(AuditLog.id).where(
            AuditLog.action == EXISTING_EMAIL_ACTION, AuditLog.target_id == str(owner.id),
            AuditLog.created_at > utcnow() - EXISTING_EMAIL_NOTICE_INTERVAL,
            AuditLog.details.contains('"notified": true'),
        )
    ).first()
    audit.record(session, EXISTING_EMAIL_ACTION, target_type="user", target_id=owner.id, client_ip=client_ip,
                 notified=notified is None)
    if notified is None:
        mail_jobs.queue_existing_account(session, owner.id)
    session.commit()
    return RegistrationResult(email=owner.email, first_name=owner.first_name, user_id=None,
                              verification_code=None, notify_owner=notified is None)


def get_user(session: Session, user_id: int) -> User | None:
    """The user row (fresh from the database), or None."""
    return session.get(User, user_id, populate_existing=True)


def require_role(session: Session, user_id: int | None, *roles: Role | str) -> User:
    """The active user `user_id` if it has one of `roles` (any role when none given), read from the database.

    Every privileged handler calls this: a missing, locked or anonymized account, or a wrong role, raises
    PermissionDeniedError.
    """
    denied = PermissionDeniedError("You are not allowed to do this.")
    user = session.get(User, user_id, populate_existing=True) if user_id is not None else None
    if user is None or user.is_locked or user.anonymized_at is not None:
        raise denied
    if roles and user.role not in {Role(r).value for r in roles}:
        raise denied
    return user


def change_password(session: Session, user_id: int, current_password: str, new_password: str, *,
                    keep_token: str | None = None) -> None:
    """Replace the password after checking the current one; other sessions (all but `keep_token`) are revoked.
    Commits."""
    user = load_active_user(session, user_id)
    if not verify_password(current_password or "", user.password_hash):
        raise ValidationError("Current password is incorrect.", code="invalid_password", field="current_password")
    validate_password_policy(new_password, email=user.email)
    if new_password == current_password:
        raise ValidationError("The new password must differ from the current one.", field="password",
                              reason="password_same")
    user.password_hash = hash_password(new_password)
    session.add(user)
    revoke_all_sessions(session, user.id, except_token=keep_token, commit=False)
    audit.record(session, "password.changed", actor_id=user.id, target_type="user", target_id=user.id)
    session.commit()


def _other_active_admins(session: Session, user_id: int) -> int:
    """Active administrators other than `user_id`. All admin rows are locked (PostgreSQL) so that two concurrent
    demotions serialize and the second one sees the first."""
    rows = session.exec(
        select(User.id).where(User.role == Role.ADMIN, ~User.is_locked, User.anonymized_at.is_(None))
        .with_for_update()
    ).all()
    return sum(1 for row_id in rows if row_id != user_id)


def set_role(session: Session, actor_id: int, user_id: int, role: Role | str) -> None:
    """Change a user's role (administrators only); the last active administrator cannot be demoted. Commits."""
    actor = require_role(session, actor_id, Role.ADMIN)
    target = load_active_user(session, user_id)
    new_role = Role(role).value
    if target.role == new_role:
        return
    if target.role == Role.ADMIN and not target.is_locked and _other_active_admins(session, target.id) == 0:
        raise ConflictError("The last administrator cannot be demoted.", code="last_admin")
    old_role = target.role
    target.role = new_role
    session.add(target)
    audit.record(session, "user.role_changed", actor_id=actor.id, target_type="user", target_id=target.id,
                 old_role=old_role, new_role=new_role)
    session.commit()


def set_locked(session: Session, actor_id: int, user_id: int, locked: bool) -> None:
    """Lock (revoking all sessions) or unlock an account (administrators only); the last active administrator
    cannot be locked. Commits."""
    actor = require_role(session, actor_id, Role.ADMIN)
    target = load_active_user(session, user_id)
    if target.is_locked == locked:
        return
    if locked and target.role == Role.ADMIN and _other_active_admins(session, target.id) == 0:
        raise ConflictError("The last administrator cannot be locked.", code="last_admin")
    target.is_locked = locked
    session.add(target)
    if locked:
        revoke_all_sessions(session, target.id, commit=False)
    audit.record(session, "user.locked" if locked else "user.unlocked", actor_id=actor.id, target_type="user",
                 target_id=target.id, at=utcnow())
    session.commit()
