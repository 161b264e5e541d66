"""Accounts: registration, e-mail codes, password reset, login and lockout, roles and locking."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, update
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import AuditLog, Consent, EmailCode, EmailCodePurpose, LoginAttempt, Role, User
from jo_app.services.accounts import email_codes, login, sessions, users
from jo_app.services.accounts.passwords import verify_password
from jo_app.services.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from tests.mail_codes import CODE_RE, other_code

PASSWORD = "Sprint!Paris2024"
NEW_PASSWORD = "Relay#Marseille7"


def make_user(session: Session, email: str = "camille@example.org", role: Role = Role.VISITOR, **kw) -> User:
    user = users.create_user(session, email=email, password=kw.pop("password", PASSWORD), first_name="Camille",
                             last_name="Durand", role=role, verified=kw.pop("verified", True), **kw)
    session.commit()
    return user


def actions(session: Session, action: str) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).where(AuditLog.action == action)).all())


def attempts(session: Session) -> list[LoginAttempt]:
    return list(session.exec(select(LoginAttempt).order_by(LoginAttempt.id)).all())


def auth_error(session: Session, **kw) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as info:
        login.authenticate(session, **kw)
    return info.value


# --- registration -------------------------------------------------------------------------------------------

def test_register_creates_visitor_with_consent_key_and_code(session: Session) -> None:
    result = users.register(session, email="  Camille.Durand@Example.ORG ", password=PASSWORD,
                            first_name="  Camille ", last_name="Durand", consent=True, client_ip="10.0.0.1")
    assert result.email == "camille.durand@example.org"
    assert CODE_RE.fullmatch(result.verification_code)
    user = session.get(User, result.user_id)
    assert user.first_name == "Camille" and user.role == Role.VISITOR.value and not user.is_verified
    assert user.username == "camille.durand"
    assert len(user.security_key) == 64 and user.password_hash != PASSWORD
    assert verify_password(PASSWORD, user.password_hash)
    consent = session.exec(select(Consent).where(Consent.user_id == user.id)).one()
    assert (consent.kind, consent.version, consent.client_ip) == ("privacy_policy", "2024-1", "10.0.0.1")
    code_row = session.exec(select(EmailCode).where(EmailCode.user_id == user.id)).one()
    assert code_row.code_hash != result.verification_code and result.verification_code not in code_row.code_hash
    assert len(actions(session, "user.registered")) == 1


def test_register_requires_consent(session: Session) -> None:
    with pytest.raises(ValidationError) as info:
        users.register(session, email="a@example.org", password=PASSWORD, first_name="A", last_name="B",
                       consent=False)
    assert info.value.field == "consent"
    assert session.exec(select(func.count()).select_from(User)).one() == 0


def test_create_user_refuses_duplicate_email_in_other_case(session: Session) -> None:
    """Administrative creation (CLI, demo data) says so; self-service sign-up never does
    (tests/services/accounts/test_registration_privacy.py)."""
    make_user(session, "camille@example.org")
    with pytest.raises(ConflictError) as info:
        make_user(session, "CAMILLE@Example.org")
    assert info.value.code == "email_taken" and info.value.field == "email"
    assert "camille" not in info.value.message.lower()
    taken = users.register(session, email="CAMILLE@Example.org", password=PASSWORD, first_name="X",
                           last_name="Y", consent=True)
    assert taken.user_id is None and taken.verification_code is None
    assert session.exec(select(func.count()).select_from(User)).one() == 1


@pytest.mark.parametrize(("field", "kwargs"), [
    ("email", {"email": "not-an-email"}),
    ("email", {"email": "a@b"}),
    ("email", {"email": "x@anonymized.invalid"}),
    ("first_name", {"first_name": "   "}),
    ("last_name", {"last_name": "x" * 51}),
    ("password", {"password": "short"}),
])
def test_create_user_validation(session: Session, field: str, kwargs: dict) -> None:
    data = {"email": "ok@example.org", "password": PASSWORD, "first_name": "Ok", "last_name": "Fine"} | kwargs
    with pytest.raises(ValidationError) as info:
        users.create_user(session, **data)
    assert info.value.field == field


def test_usernames_derived_unique(session: Session) -> None:
    first = make_user(session, "jo@example.org")
    second = make_user(session, "jo@example.net")
    third = make_user(session, "deleted-9@example.net")
    assert first.username == "jo-user" and second.username == "jo-user2"
    assert not third.username.startswith("deleted-")
    with pytest.raises(ConflictError) as info:
        make_user(session, "other@example.org", username="JO-USER")
    assert info.value.code == "username_taken"


# --- e-mail verification ---------------------------------------------------------------------------------------

def _registered(session: Session) -> users.RegistrationResult:
    return users.register(session, email="camille@example.org", password=PASSWORD, first_name="Camille",
                          last_name="Durand", consent=True)


def test_verify_email_with_right_code(session: Session) -> None:
    reg = _registered(session)
    with pytest.raises(ValidationError) as info:
        email_codes.verify_email(session, reg.email, other_code(reg.verification_code))
    assert info.value.code == "invalid_code"
    email_codes.verify_email(session, "CAMILLE@example.org", reg.verification_code)
    assert session.get(User, reg.user_id, populate_existing=True).is_verified
    assert len(actions(session, "user.email_verified")) == 1
    with pytest.raises(ValidationError):  # used up
        email_codes.verify_email(session, reg.email, reg.verification_code)


def test_verify_email_code_expires(session: Session) -> None:
    reg = _registered(session)
    session.execute(update(EmailCode).values(expires_at=EmailCode.created_at - timedelta(seconds=1)))
    session.commit()
    with pytest.raises(ValidationError):
        email_codes.verify_email(session, reg.email, reg.verification_code)
    assert not session.get(User, reg.user_id, populate_existing=True).is_verified


def test_verify_email_code_dies_after_five_wrong_attempts(session: Session) -> None:
    reg = _registered(session)
    wrong = other_code(reg.verification_code)
    for _ in range(5):
        with pytest.raises(ValidationError):
            email_codes.verify_email(session, reg.email, wrong)
    with pytest.raises(ValidationError):
        email_codes.verify_email(session, reg.email, reg.verification_code)
    assert not session.get(User, reg.user_id, populate_existing=True).is_verified


def test_four_wrong_attempts_then_right_code_works(session: Session) -> None:
    reg = _registered(session)
    for _ in range(4):
        with pytest.raises(ValidationError):
            email_codes.verify_email(session, reg.email, "12345x")
    email_codes.verify_email(session, reg.email, reg.verification_code)
    assert session.get(User, reg.user_id, populate_existing=True).is_verified


def test_new_code_invalidates_previous(session: Session) -> None:
    reg = _registered(session)
    newer = email_codes.issue_email_code(session, reg.user_id, EmailCodePurpose.VERIFY_EMAIL)
    session.commit()
    if newer != reg.verification_code:
        with pytest.raises(ValidationError):
            email_codes.verify_email(session, reg.email, reg.verification_code)
    email_codes.verify_email(session, reg.email, newer)


# --- password reset ---------------------------------------------------------------------------------------------

def test_password_reset_flow_revokes_sessions(session: Session) -> None:
    user = make_user(session, verified=False)
    token = sessions.create_session(session, user.id)
    assert email_codes.request_password_reset(session, "nobody@example.org") is None
    code = email_codes.request_password_reset(session, "Camille@Example.org")
    assert code and len(code.replace("-", "")) == 10
    with pytest.raises(ValidationError) as info:  # policy first: the code is not burnt
        email_codes.reset_password(session, user.email, code, "weak")
    assert info.value.field == "password"
    with pytest.raises(ValidationError):
        email_codes.reset_password(session, user.email, other_code(code), NEW_PASSWORD)
    email_codes.reset_password(session, user.email, code, NEW_PASSWORD)
    assert sessions.resolve_session(session, token) is None
    assert login.authenticate(session, email=user.email, password=NEW_PASSWORD).is_verified
    assert auth_error(session, email=user.email, password=PASSWORD).code == "invalid_credentials"
    with pytest.raises(ValidationError):  # one use only
        email_codes.reset_password(session, user.email, code, "Another#Pass99")
    assert len(actions(session, "password.reset")) == 1


def test_change_password(session: Session) -> None:
    user = make_user(session)
    keep = sessions.create_session(session, user.id)
    other = sessions.create_session(session, user.id)
    with pytest.raises(ValidationError) as info:
        users.change_password(session, user.id, "wrong", NEW_PASSWORD)
    assert info.value.field == "current_password"
    users.change_password(session, user.id, PASSWORD, NEW_PASSWORD, keep_token=keep)
    assert sessions.resolve_session(session, keep) is not None
    assert sessions.resolve_session(session, other) is None
    assert login.authenticate(session, email=user.email, password=NEW_PASSWORD).user_id == user.id


# --- login ----------------------------------------------------------------------------------------------------

def test_login_success_records_attempt(session: Session) -> None:
    user = make_user(session, verified=False)
    result = login.authenticate(session, email=" CAMILLE@example.org", password=PASSWORD, client_ip="1.2.3.4")
    assert result == login.AuthResult(user_id=user.id, role="visitor", is_verified=False, totp_enabled=False)
    assert session.get(User, user.id, populate_existing=True).last_login_at is not None
    [attempt] = attempts(session)
    assert (attempt.email, attempt.client_ip, attempt.succeeded) == ("camille@example.org", "1.2.3.4", True)
    assert len(actions(session, "login.succeeded")) == 1


def test_login_errors_are_generic(session: Session) -> None:
    make_user(session)
    unknown = auth_error(session, email="nobody@example.org", password=PASSWORD)
    wrong = auth_error(session, email="camille@example.org", password="Wrong#Pass123")
    assert unknown.code == wrong.code == "invalid_credentials"
    assert unknown.message == wrong.message == "Invalid e-mail or password."
    assert [a.succeeded for a in attempts(session)] == [False, False]
    assert len(actions(session, "login.failed")) == 2


def test_admin_locked_account_refused_only_with_right_password(session: Session) -> None:
    user = make_user(session)
    session.execute(update(User).where(User.id == user.id).values(is_locked=True))
    session.commit()
    assert auth_error(session, email=user.email, password="Wrong#Pass123").code == "invalid_credentials"
    assert auth_error(session, email=user.email, password=PASSWORD).code == "account_locked"


def _fail_login(session: Session, email: str, ip: str | None) -> None:
    assert auth_error(session, email=email, password="Wrong#Pass123", client_ip=ip).code == "invalid_credentials"


def test_untrusted_failures_on_an_account_delay_the_next_attempt(session: Session) -> None:
    """Per account (every address, no known device): 2 T failures are free, then a wait that doubles (1 s, 2 s...).
    The fixed 15-minute lock of any account is gone (services.accounts.login_throttle)."""
    user = make_user(session)
    threshold = get_settings().lockout_threshold
    assert threshold == 5
    for i in range(2 * threshold):
        _fail_login(session, user.email, f"10.0.0.{i}")  # different addresses: the account counter still fills
    err = auth_error(session, email=user.email, password=PASSWORD, client_ip="10.9.9.9")
    assert err.code == "locked_out" and "try again later" in err.message.lower()
    assert err.retry_after_seconds == 1
    assert len(attempts(session)) == 2 * threshold  # the refused attempt is audited, not counted
    assert len(actions(session, "login.locked_out")) == 1
    assert session.get(User, user.id, populate_existing=True).last_login_at is None
    # Once the wait has passed, the right password works again.
    for row_id, created in session.exec(select(LoginAttempt.id, LoginAttempt.created_at)).all():
        session.execute(update(LoginAttempt).where(LoginAttempt.id == row_id)
                        .values(created_at=created - timedelta(seconds=2)))  # Python dates: SQLite-safe
    session.commit()
    assert login.authenticate(session, email=user.email, password=PASSWORD).user_id == user.id


def test_lockout_per_client_address(session: Session) -> None:
    user = make_user(session)
    for i in range(5):
        _fail_login(session, f"victim{i}@example.org", "203.0.113.7")
    assert auth_error(session, email=user.email, password=PASSWORD, client_ip="203.0.113.7").code == "locked_out"
    assert login.authenticate(session, email=user.email, password=PASSWORD, client_ip="198.51.100.1").user_id


def test_four_failures_do_not_lock(session: Session) -> None:
    user = make_user(session)
    for _ in range(4):
        _fail_login(session, user.email, "10.0.0.1")
    assert login.authenticate(session, email=user.email, password=PASSWORD, client_ip="10.0.0.1").user_id


# --- roles and locking ---------------------------------------------------------------------------------------

def test_require_role(session: Session) -> None:
    admin = make_user(session, "admin@example.org", Role.ADMIN)
    visitor = make_user(session, "v@example.org")
    assert users.require_role(session, admin.id, Role.ADMIN).id == admin.id
    assert users.require_role(session, visitor.id).id == visitor.id
    assert users.require_role(session, visitor.id, Role.VISITOR, "employee").id == visitor.id
    for user_id, roles in ((visitor.id, (Role.ADMIN,)), (None, ()), (999_999, ())):
        with pytest.raises(PermissionDeniedError):
            users.require_role(session, user_id, *roles)
    session.execute(update(User).where(User.id == admin.id).values(is_locked=True))
    session.commit()
    with pytest.raises(PermissionDeniedError):  # re-read from the database, not from a stale object
        users.require_role(session, admin.id, Role.ADMIN)


def test_set_role_admin_only_and_last_admin_kept(session: Session) -> None:
    admin = make_user(session, "admin@example.org", Role.ADMIN)
    visitor = make_user(session, "v@example.org")
    with pytest.raises(PermissionDeniedError):
        users.set_role(session, visitor.id, visitor.id, Role.ADMIN)
    with pytest.raises(ConflictError) as info:
        users.set_role(session, admin.id, admin.id, Role.VISITOR)
    assert info.value.code == "last_admin"
    users.set_role(session, admin.id, visitor.id, Role.ADMIN)
    assert session.get(User, visitor.id, populate_existing=True).role == "admin"
    users.set_role(session, visitor.id, admin.id, Role.EMPLOYEE)  # now there is another admin
    assert session.get(User, admin.id, populate_existing=True).role == "employee"
    entry = actions(session, "user.role_changed")[-1]
    assert json.loads(entry.details) == {"new_role": "employee", "old_role": "admin"}
    with pytest.raises(NotFoundError):
        users.set_role(session, visitor.id, 999_999, Role.ADMIN)


def test_set_locked_revokes_sessions_and_protects_last_admin(session: Session) -> None:
    admin = make_user(session, "admin@example.org", Role.ADMIN)
    visitor = make_user(session, "v@example.org")
    token = sessions.create_session(session, visitor.id)
    with pytest.raises(PermissionDeniedError):
        users.set_locked(session, visitor.id, admin.id, True)
    with pytest.raises(ConflictError) as info:
        users.set_locked(session, admin.id, admin.id, True)
    assert info.value.code == "last_admin"
    users.set_locked(session, admin.id, visitor.id, True)
    assert sessions.resolve_session(session, token) is None
    assert auth_error(session, email=visitor.email, password=PASSWORD).code == "account_locked"
    users.set_locked(session, admin.id, visitor.id, False)
    assert sessions.resolve_session(session, token) is None  # unlocking does not resurrect sessions
    assert login.authenticate(session, email=visitor.email, password=PASSWORD).user_id == visitor.id
    assert [len(actions(session, a)) for a in ("user.locked", "user.unlocked")] == [1, 1]
