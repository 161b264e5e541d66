"""Issue 11 item 1 at the service layer: the password-reset / verification code cannot be guessed online.

The attack of the report: ask for a code, spend its 5 guesses, ask for another, again and again, from many
connections (803 reset mails and 4,015 guesses in 90 s). Here every request and guess goes through the services the
websocket handlers and the REST API call, on SQLite and PostgreSQL. The per-account database limits (cool-down,
daily guess budget) are tested with the shared rate limiter switched off (`no_rate_limits`: as when Redis is down
and the limiter fails open) and a fresh client address per call, the attacker's best case; the rate limiter (per
client address, per e-mail address, shared through Redis) is tested on its own.
"""

from __future__ import annotations

import itertools
import os
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import EmailCode, EmailCodePurpose, User
from jo_app.services import ratelimit
from jo_app.services.accounts import email_codes, users
from jo_app.services.accounts.email_codes import (
    CODE_LENGTH,
    CODES_PER_DAY,
    DAILY_GUESS_BUDGET,
    MAX_CODE_ATTEMPTS,
    cooldown_remaining,
    normalize_code,
)
from jo_app.services.accounts.passwords import verify_password
from jo_app.services.errors import RateLimitedError, ValidationError
from tests.mail_codes import CODE_RE, other_code

PASSWORD = "Sprint!Paris2024"
NEW_PASSWORD = "Relay#Marseille7"
RESET = EmailCodePurpose.RESET_PASSWORD
_ips = (f"198.51.100.{n % 250}-{n}" for n in itertools.count())


@pytest.fixture
def no_rate_limits(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RATE_LIMITS_ENABLED", "0")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def fresh_ip() -> str:
    return next(_ips)


def victim(session: Session, email: str = "victim@example.org", verified: bool = True) -> User:
    user = users.create_user(session, email=email, password=PASSWORD, first_name="Camille", last_name="Durand",
                             verified=verified)
    session.commit()
    return user


def age_codes(session: Session, seconds: float) -> None:
    """Pretend `seconds` went by: every code row was created (and expires) that much earlier."""
    shift = timedelta(seconds=seconds)
    for row in session.exec(select(EmailCode).execution_options(populate_existing=True)).all():
        row.created_at, row.expires_at = row.created_at - shift, row.expires_at - shift
        session.add(row)
    session.commit()


def codes_of(session: Session, user_id: int) -> int:
    return session.exec(select(func.count()).select_from(EmailCode).where(EmailCode.user_id == user_id)).one()


def test_a_flood_of_reset_requests_mails_one_code_per_growing_cool_down(session: Session, no_rate_limits) -> None:
    user = victim(session)
    first = email_codes.request_password_reset(session, user.email, fresh_ip())
    assert first and CODE_RE.fullmatch(first)
    # 200 more requests, each from a new address: nothing more to mail, no new code, the first one still works.
    assert [email_codes.request_password_reset(session, user.email, fresh_ip()) for _ in range(200)] == [None] * 200
    assert codes_of(session, user.id) == 1
    # The cool-down doubles: 60 s after the 1st code, 120 s after the 2nd, 240 s after the 3rd ...
    issued = 1
    for expected in (60, 120, 240, 480, 960, 1920, 3600):
        # Real seconds pass between the steps (a busy CI machine): margins of 30 s, far below any cool-down step.
        remaining = cooldown_remaining(session, user.id, RESET)
        assert expected - 30 <= remaining <= expected
        age_codes(session, remaining - 30)
        assert email_codes.request_password_reset(session, user.email, fresh_ip()) is None
        age_codes(session, 31)
        assert email_codes.request_password_reset(session, user.email, fresh_ip()) is not None
        issued += 1
        if issued == CODES_PER_DAY:
            break
    # CODES_PER_DAY codes in the last 24 h: no more until the oldest is a day old.
    age_codes(session, 3601)
    assert email_codes.request_password_reset(session, user.email, fresh_ip()) is None
    assert cooldown_remaining(session, user.id, RESET) > 3600


def test_wrong_guesses_are_capped_per_day_even_with_fresh_codes(session: Session, no_rate_limits) -> None:
    user = victim(session)
    wrong_guesses = 0
    while wrong_guesses < DAILY_GUESS_BUDGET:
        code = email_codes.request_password_reset(session, user.email, fresh_ip())
        assert code is not None
        for _ in range(MAX_CODE_ATTEMPTS):
            with pytest.raises(ValidationError):
                email_codes.reset_password(session, user.email, other_code(code), NEW_PASSWORD, fresh_ip())
            wrong_guesses += 1
        age_codes(session, 3600)  # past any cool-down, still inside the 24 h window
    # A brand-new code, typed exactly as mailed, is refused: the day's budget of wrong guesses is spent.
    code = email_codes.request_password_reset(session, user.email, fresh_ip())
    assert code is not None
    with pytest.raises(ValidationError) as info:
        email_codes.reset_password(session, user.email, code, NEW_PASSWORD, fresh_ip())
    assert info.value.code == "invalid_code"
    assert verify_password(PASSWORD, session.get(User, user.id, populate_existing=True).password_hash)
    # A day later the owner can reset again.
    age_codes(session, 24 * 3600)
    code = email_codes.request_password_reset(session, user.email, fresh_ip())
    email_codes.reset_password(session, user.email, code, NEW_PASSWORD, fresh_ip())
    assert verify_password(NEW_PASSWORD, session.get(User, user.id, populate_existing=True).password_hash)


def test_verification_resends_share_the_cool_down(session: Session, no_rate_limits) -> None:
    result = users.register(session, email="fan@example.org", password=PASSWORD, first_name="Zoé",
                            last_name="Martin", consent=True)
    # The sign-up code starts the cool-down: resends from new connections mail nothing for a minute.
    assert [email_codes.resend_verification_code(session, "fan@example.org", fresh_ip()) for _ in range(50)] \
        == [None] * 50
    age_codes(session, 61)
    again = email_codes.resend_verification_code(session, "fan@example.org", fresh_ip())
    assert again is not None and again[:2] == ("fan@example.org", "Zoé")
    assert email_codes.resend_verification_code(session, "fan@example.org", fresh_ip()) is None
    with pytest.raises(ValidationError):  # the sign-up code died with the resend
        email_codes.verify_email(session, "fan@example.org", result.verification_code, fresh_ip())
    email_codes.verify_email(session, "fan@example.org", again[2].lower().replace("-", " "), fresh_ip())
    assert session.get(User, result.user_id, populate_existing=True).is_verified
    age_codes(session, 3600)  # a verified account is never sent a code
    assert email_codes.resend_verification_code(session, "fan@example.org", fresh_ip()) is None


def test_one_client_address_is_limited_across_accounts(session: Session) -> None:
    """Guessing or asking for codes from one address stops at the address limit, whichever accounts it targets
    (existing or not: the answer does not reveal accounts)."""
    ip = "203.0.113.7"
    victim(session)
    refused = 0
    for n in range(12):
        try:
            email_codes.verify_email(
                session, f"someone{n}@example.org" if n % 2 else "victim@example.org", "ABCDE-FGHJK", ip
            )
        except RateLimitedError as exc:
            refused += 1
            assert exc.retry_after_seconds >= 1 and exc.code == "rate_limited"
        except ValidationError:
            pass
    assert refused == 2  # 10 per address (conftest: day-long windows with the default counts)
    asked = [email_codes.request_password_reset(session, f"x{n}@example.org", ip) for n in range(5)]
    assert asked == [None] * 5
    with pytest.raises(RateLimitedError):
        email_codes.request_password_reset(session, "victim@example.org", ip)


def test_one_e_mail_address_is_limited_across_client_addresses(session: Session) -> None:
    victim(session)
    outcomes = []
    for _ in range(11):
        try:
            email_codes.verify_email(session, "VICTIM@example.org", "ABCDE-FGHJK", fresh_ip())
            outcomes.append("ok")
        except RateLimitedError:
            outcomes.append("limited")
        except ValidationError:
            outcomes.append("invalid")
    assert outcomes == ["invalid"] * 10 + ["limited"]


def test_codes_are_long_and_forgiving_to_type(session: Session) -> None:
    user = victim(session)
    codes = {email_codes.issue_email_code(session, user.id, RESET) for _ in range(200)}
    session.commit()
    assert len(codes) == 200 and all(CODE_RE.fullmatch(c) for c in codes)
    assert len(email_codes.CODE_ALPHABET) ** CODE_LENGTH >= 2 ** 50
    assert normalize_code(" 7k3qd-m9x2a ") == "7K3QDM9X2A"
    assert normalize_code("OIL0") == "0110"


def test_limits_are_shared_by_two_limiters_on_one_redis() -> None:
    """Two limiter instances on the same real Redis (two worker processes) count into the same windows."""
    import redis

    url = "redis://127.0.0.1:6379/0"
    prefix = f"jo-test-{uuid.uuid4().hex}"
    worker_a, worker_b = ratelimit.new_limiter(url), ratelimit.new_limiter(url)
    assert worker_a[1] is not worker_b[1]
    old = get_settings()
    try:
        os.environ["RATE_LIMIT_PREFIX"] = prefix
        get_settings.cache_clear()
        ip, who = "192.0.2.1", "code:victim@example.org"
        answers = [ratelimit.retry_after("code_guess", ip, who, limiter=(worker_a if n % 2 else worker_b))
                   for n in range(11)]
        assert answers[:10] == [None] * 10 and answers[10] is not None  # 10 allowed, 5 hits on each worker
        keys = list(redis.Redis.from_url(url).scan_iter(f"*{prefix}*"))
        assert keys
    finally:
        os.environ.pop("RATE_LIMIT_PREFIX", None)
        get_settings.cache_clear()
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
    assert old.rate_limit_prefix == "jo"


def test_default_code_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The defaults documented in docs/security.md."""
    for name in ("RATE_LIMIT_CODE_REQUEST", "RATE_LIMIT_CODE_GUESS"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    assert [str(i) for i in ratelimit.limits_for("code_request")] == ["5 per 1 minute", "30 per 1 hour"]
    assert [str(i) for i in ratelimit.limits_for("code_guess")] == ["10 per 1 minute", "30 per 1 hour", "60 per 1 day"]
    assert (MAX_CODE_ATTEMPTS, DAILY_GUESS_BUDGET, CODES_PER_DAY, CODE_LENGTH) == (5, 20, 8, 10)
