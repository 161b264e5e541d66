"""TOTP two-factor authentication, checked against codes made by the real `oathtool` binary."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jo_app.models import AuditLog, LoginAttempt, RecoveryCode, Role, User
from jo_app.services.accounts import login, twofactor, users
from jo_app.services.errors import AuthenticationError, ConflictError, ValidationError

PASSWORD = "Sprint!Paris2024"
EMAIL = "camille@example.org"


def _oathtool() -> str:
    """Path of oathtool; waits for a background apt install for a few minutes, then fails (never skips)."""
    deadline = time.monotonic() + 300
    while (path := shutil.which("oathtool")) is None:
        if time.monotonic() > deadline:
            pytest.fail("oathtool is not installed (apt-get install oathtool)")
        time.sleep(5)
    return path


def oath(secret: str, at: float | None = None) -> str:
    """The TOTP code of `secret` now (or at unix time `at`), computed by oathtool."""
    args = [_oathtool(), "--totp", "-b", secret]
    if at is not None:
        args += ["-N", f"@{int(at)}"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()


def away_from_step_edge(margin: float = 3.0) -> None:
    """Sleep past a 30 s boundary if one is near, so a code made now stays in the same step during the test."""
    into = time.time() % 30
    if into > 30 - margin:
        time.sleep(30 - into + 0.2)


def make_user(session: Session, email: str = EMAIL) -> User:
    user = users.create_user(session, email=email, password=PASSWORD, first_name="Camille", last_name="Durand",
                             role=Role.VISITOR, verified=True)
    session.commit()
    return user


def enable_2fa(session: Session, user: User) -> tuple[str, list[str]]:
    enrollment = twofactor.begin_enrollment(session, user.id)
    away_from_step_edge()
    codes = twofactor.confirm_enrollment(session, user.id, oath(enrollment.secret))
    return enrollment.secret, codes


def fresh_secret_user(session: Session) -> tuple[User, str]:
    """A user with TOTP enabled and no step used yet (the enrollment step forgotten, so tests need not wait
    for the next 30 s step)."""
    return fresh_secret_user_from(session, make_user(session))


def fresh_secret_user_from(session: Session, user: User) -> tuple[User, str]:
    if not user.totp_enabled:
        enable_2fa(session, user)
    secret = twofactor.stored_secret(session.get(User, user.id, populate_existing=True))
    session.execute(update(User).where(User.id == user.id).values(totp_last_step=None))
    session.commit()
    return session.get(User, user.id, populate_existing=True), secret


def login_error(session: Session, code: str | None) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as info:
        login.authenticate(session, email=EMAIL, password=PASSWORD, totp_code=code)
    return info.value


def test_enrollment_secret_and_uri(session: Session) -> None:
    user = make_user(session)
    enrollment = twofactor.begin_enrollment(session, user.id)
    assert re.fullmatch(r"[A-Z2-7]{32}", enrollment.secret)  # 160 bits
    uri = urlparse(enrollment.otpauth_uri)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == f"/JO E-Tickets:{EMAIL}"
    query = parse_qs(uri.query)
    assert query["secret"] == [enrollment.secret] and query["issuer"] == ["JO E-Tickets"]
    stored = session.get(User, user.id, populate_existing=True)
    assert twofactor.stored_secret(stored) == enrollment.secret and not stored.totp_enabled
    # Not enabled yet: login needs no code.
    assert login.authenticate(session, email=EMAIL, password=PASSWORD).totp_enabled is False


def test_confirm_enrollment_with_oathtool_code(session: Session) -> None:
    user = make_user(session)
    enrollment = twofactor.begin_enrollment(session, user.id)
    with pytest.raises(ValidationError) as info:
        twofactor.confirm_enrollment(session, user.id, "12345")
    assert info.value.code == "invalid_totp"
    away_from_step_edge()
    codes = twofactor.confirm_enrollment(session, user.id, oath(enrollment.secret))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", c) for c in codes)
    stored = session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10 and not {r.code_hash for r in stored} & set(codes)
    assert session.get(User, user.id, populate_existing=True).totp_enabled
    assert session.exec(select(AuditLog).where(AuditLog.action == "2fa.enabled")).one()
    with pytest.raises(ConflictError):
        twofactor.begin_enrollment(session, user.id)


def test_login_requires_code_and_refuses_replay(session: Session) -> None:
    _, secret = fresh_secret_user(session)
    required = login_error(session, None)
    assert required.code == "totp_required"
    assert login_error(session, "  ").code == "totp_required"
    assert session.exec(select(LoginAttempt)).all() == []  # asking for the code is not a failure
    away_from_step_edge()
    code = oath(secret)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert login_error(session, wrong).code == "invalid_totp"
    result = login.authenticate(session, email=EMAIL, password=PASSWORD, totp_code=code)
    assert result.totp_enabled and not result.used_recovery_code
    assert login_error(session, code).code == "invalid_totp"  # same code, second time
    assert [a.succeeded for a in session.exec(select(LoginAttempt).order_by(LoginAttempt.id)).all()] == [
        False, True, False]


def test_confirmation_code_cannot_be_replayed_to_log_in(session: Session) -> None:
    user = make_user(session)
    enrollment = twofactor.begin_enrollment(session, user.id)
    away_from_step_edge()
    code = oath(enrollment.secret)
    twofactor.confirm_enrollment(session, user.id, code)
    assert login_error(session, code).code == "invalid_totp"


def test_neighbour_steps_accepted_but_never_an_older_one(session: Session) -> None:
    user, secret = fresh_secret_user(session)
    away_from_step_edge()
    now = time.time()
    previous, current, following = oath(secret, now - 30), oath(secret, now), oath(secret, now + 30)
    assert twofactor.verify_totp(session, user, previous)  # one step of tolerance backwards
    session.commit()
    assert not twofactor.verify_totp(session, user, previous)  # replay of the same step
    assert twofactor.verify_totp(session, user, current)  # a later step is fine
    session.commit()
    assert not twofactor.verify_totp(session, user, previous)  # an earlier step never comes back
    assert twofactor.verify_totp(session, user, following)  # one step of tolerance forwards
    session.commit()
    assert not twofactor.verify_totp(session, user, current)
    assert session.get(User, user.id, populate_existing=True).totp_last_step == int(now // 30) + 1


def test_code_two_steps_old_refused(session: Session) -> None:
    user, secret = fresh_secret_user(session)
    away_from_step_edge()
    assert not twofactor.verify_totp(session, user, oath(secret, time.time() - 90))
    assert session.get(User, user.id, populate_existing=True).totp_last_step is None


def test_recovery_code_works_once(session: Session) -> None:
    user = make_user(session)
    _, codes = enable_2fa(session, user)
    result = login.authenticate(session, email=EMAIL, password=PASSWORD, totp_code=codes[0].upper())
    assert result.used_recovery_code
    assert login_error(session, codes[0]).code == "invalid_totp"
    assert login.authenticate(session, email=EMAIL, password=PASSWORD,
                              totp_code=codes[1].replace("-", "")).used_recovery_code
    assert twofactor.remaining_recovery_codes(session, user.id) == 8


def test_regenerate_recovery_codes(session: Session) -> None:
    user = make_user(session)
    _, old_codes = enable_2fa(session, user)
    user, secret = fresh_secret_user_from(session, user)
    away_from_step_edge()
    code = oath(secret)
    with pytest.raises(ValidationError):
        twofactor.regenerate_recovery_codes(session, user.id, f"{(int(code) + 1) % 10**6:06d}")
    new_codes = twofactor.regenerate_recovery_codes(session, user.id, oath(secret))
    assert not set(new_codes) & set(old_codes)
    assert login_error(session, old_codes[0]).code == "invalid_totp"
    assert login.authenticate(session, email=EMAIL, password=PASSWORD, totp_code=new_codes[0]).used_recovery_code


def test_disable_needs_password_and_second_factor(session: Session) -> None:
    user = make_user(session)
    _, codes = enable_2fa(session, user)
    with pytest.raises(ValidationError) as info:
        twofactor.disable(session, user.id, "Wrong#Pass123", codes[0])
    assert info.value.field == "password"
    with pytest.raises(ValidationError) as info:
        twofactor.disable(session, user.id, PASSWORD, "abcd-efgh-jkmn")
    assert info.value.code == "invalid_totp"
    twofactor.disable(session, user.id, PASSWORD, codes[0])
    stored = session.get(User, user.id, populate_existing=True)
    assert not stored.totp_enabled and stored.totp_secret_encrypted is None
    assert session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []
    assert login.authenticate(session, email=EMAIL, password=PASSWORD).totp_enabled is False
    assert session.exec(select(AuditLog).where(AuditLog.action == "2fa.disabled")).one()


def test_concurrent_logins_with_one_code_only_one_passes(pg_engine: Engine) -> None:
    with Session(pg_engine, expire_on_commit=False) as session:
        user, secret = fresh_secret_user(session)
    away_from_step_edge(margin=8)
    code = oath(secret)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        with Session(pg_engine, expire_on_commit=False) as own:
            barrier.wait()
            try:
                login.authenticate(own, email=EMAIL, password=PASSWORD, totp_code=code, client_ip=f"10.1.0.{i}")
                outcome = "ok"
            except AuthenticationError as exc:
                outcome = exc.code
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == 8
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) - {"ok"} <= {"invalid_totp", "locked_out"}
    with Session(pg_engine) as session:
        assert session.get(User, user.id).totp_last_step is not None
        assert len(session.exec(select(LoginAttempt).where(LoginAttempt.succeeded)).all()) == 1
