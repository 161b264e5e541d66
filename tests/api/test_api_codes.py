"""Issue 11 item 1 over the REST API: POST /api/v1/auth/password-reset, /confirm, /verify-email, /resend.

The reported attack (ask for a code, spend its guesses, ask again, from many connections) is throttled: 429 with
Retry-After past the per-address / per-e-mail limits, one mail per cool-down window, a daily budget of wrong
guesses that even a fresh code cannot get past, and counters shared with the websocket handlers through a real
Redis (a limiter built from scratch, as another worker would, sees them). Real SMTP server on loopback.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import EmailCode, User
from jo_app.services import ratelimit
from jo_app.services.accounts.email_codes import DAILY_GUESS_BUDGET, MAX_CODE_ATTEMPTS
from jo_app.services.accounts.passwords import verify_password
from jo_app.state.accounts.register import ForgotPasswordState
from tests.api.conftest import PASSWORD, assert_error, bearer
from tests.mail_codes import code_in, other_code
from tests.smtp_capture import SmtpCollector, smtp_capture
from tests.state.conftest import make_state

NEW_PASSWORD = "Nouveau!Passe2024"
REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch, tmp_path, engine) -> Iterator[SmtpCollector]:
    """The SMTP server, and the default counts of the code limits over day-long windows (a sliding minute could
    roll over during a slow run and forgive a request)."""
    monkeypatch.setenv("RATE_LIMIT_CODE_REQUEST", "5/day")
    monkeypatch.setenv("RATE_LIMIT_CODE_GUESS", "10/day")
    with smtp_capture(monkeypatch, tmp_path / "outbox", engine) as collector:
        yield collector


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    def apply(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        ratelimit._state.clear()
    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()
    ratelimit._state.clear()


def last_code(smtp: SmtpCollector, to: str) -> str:
    return code_in(smtp.to(to)[-1].get_body(("plain",)).get_content())


def age_codes(engine, seconds: float) -> None:
    with Session(engine) as db:
        for row in db.exec(select(EmailCode)).all():
            row.created_at -= timedelta(seconds=seconds)
            row.expires_at -= timedelta(seconds=seconds)
            db.add(row)
        db.commit()


def confirm(client, email: str, code: str, password: str = NEW_PASSWORD):
    return client.post("/api/v1/auth/password-reset/confirm",
                       json={"email": email, "code": code, "new_password": password})


def test_reset_request_flood_is_limited_and_mails_once(client, world, smtp_server) -> None:
    victim = world.visitor.email
    answers = [client.post("/api/v1/auth/password-reset", json={"email": victim}) for _ in range(40)]
    assert [a.status_code for a in answers] == [202] * 5 + [429] * 35
    assert answers[0].json() == {"status": "accepted"}
    assert_error(answers[-1], 429, "rate_limited")
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert len(smtp_server.to(victim)) == 1
    # An unknown address gets the same answer (no account enumeration).
    unknown = client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.net"})
    assert_error(unknown, 429, "rate_limited")  # same client address: still limited


def test_guesses_are_limited_then_the_right_code_works(client, world, smtp_server) -> None:
    victim = world.visitor.email
    assert client.post("/api/v1/auth/password-reset", json={"email": victim, "lang": "en"}).status_code == 202
    code = last_code(smtp_server, victim)
    for _ in range(MAX_CODE_ATTEMPTS - 1):
        assert_error(confirm(client, victim, other_code(code)), 422, "invalid_code")
    ok = confirm(client, victim, code.lower())
    assert ok.status_code == 200 and ok.json() == {"status": "password_reset"}
    with Session(world.engine) as db:
        assert verify_password(NEW_PASSWORD, db.get(User, world.visitor.id).password_hash)
    # Keep guessing (the code is spent): 10 for this address and e-mail, then 429.
    statuses = [confirm(client, victim, other_code(code)).status_code for _ in range(10)]
    assert statuses == [422] * (10 - MAX_CODE_ATTEMPTS) + [429] * MAX_CODE_ATTEMPTS


def test_daily_guess_budget_holds_against_fresh_codes(client, world, smtp_server, env) -> None:
    """With the per-address and per-e-mail limits out of the way (a botnet with many addresses, or Redis down), the
    account's own budget still stops the attack, even when the code is right."""
    env(RATE_LIMIT_CODE_REQUEST="100000/minute", RATE_LIMIT_CODE_GUESS="100000/minute")
    victim = world.visitor.email
    for _ in range(DAILY_GUESS_BUDGET // MAX_CODE_ATTEMPTS):
        assert client.post("/api/v1/auth/password-reset", json={"email": victim}).status_code == 202
        code = last_code(smtp_server, victim)
        for _ in range(MAX_CODE_ATTEMPTS):
            assert_error(confirm(client, victim, other_code(code)), 422, "invalid_code")
        age_codes(world.engine, 3600)
    assert client.post("/api/v1/auth/password-reset", json={"email": victim}).status_code == 202
    fresh = last_code(smtp_server, victim)
    assert fresh != code
    assert_error(confirm(client, victim, fresh), 422, "invalid_code")
    with Session(world.engine) as db:
        assert verify_password(PASSWORD, db.get(User, world.visitor.id).password_hash)


def test_verify_email_and_resend(client, world, smtp_server) -> None:
    with Session(world.engine) as db:
        user = db.get(User, world.visitor.id)
        user.is_verified = False
        db.add(user)
        db.commit()
    headers = bearer(client, world.visitor)
    assert client.post("/api/v1/auth/verify-email/resend").status_code == 401
    answers = [client.post("/api/v1/auth/verify-email/resend", headers=headers).status_code for _ in range(8)]
    assert answers == [202] * 5 + [429] * 3
    assert len(smtp_server.to(world.visitor.email)) == 1
    code = last_code(smtp_server, world.visitor.email)
    assert_error(client.post("/api/v1/auth/verify-email", json={"email": world.visitor.email,
                                                                 "code": other_code(code)}), 422, "invalid_code")
    ok = client.post("/api/v1/auth/verify-email", json={"email": world.visitor.email, "code": code})
    assert ok.status_code == 200 and ok.json() == {"status": "verified"}
    assert client.get("/api/v1/auth/me", headers=headers).json()["is_verified"] is True


def test_websocket_and_rest_share_the_counters_through_redis(client, world, smtp_server, env, db_engine,
                                                             monkeypatch) -> None:
    """Guesses over the websocket handler and over REST, each through a limiter built from scratch (another worker
    process) on the same real Redis, add up: the 11th guess of the minute is refused on both."""
    prefix = f"jo-test-{uuid.uuid4().hex}"
    env(REDIS_URL=REDIS, RATE_LIMIT_PREFIX=prefix)
    victim = world.visitor.email
    try:
        state = make_state(ForgotPasswordState, ip="testclient")
        state.email, state.code_requested = victim, True

        def ws_guess() -> str | None:
            ratelimit._state.clear()
            asyncio.run(_drain(ForgotPasswordState.event_handlers["reset_password"].fn(
                state, {"code": "ABCDE-FGHJK", "password": NEW_PASSWORD})))
            return state.errors.get("code")

        def rest_guess() -> int:
            ratelimit._state.clear()
            return confirm(client, victim, "ABCDE-FGHJK").status_code

        outcomes = [ws_guess() if n % 2 else rest_guess() for n in range(10)]
        assert outcomes == [422, "err.invalid_code"] * 5
        assert rest_guess() == 429 and ws_guess() == "err.rate_limited"
        assert list(redis.Redis.from_url(REDIS).scan_iter(f"*{prefix}*"))
    finally:
        store = redis.Redis.from_url(REDIS)
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)


async def _drain(gen) -> None:
    async for _ in gen:
        pass
