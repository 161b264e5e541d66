"""Issue 11 item 1 over the websocket handlers (called as socket.io would, one state tree per socket): the reported
attack on the forgot-password form (new code, 5 guesses, new code ... from several sockets, 803 mails to the
victim) and on the verification resend (unlimited across new sockets). Real SMTP server on loopback, default limits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from jo_app.models import EmailCode, User
from jo_app.services import ratelimit
from jo_app.services.accounts import sessions, users
from jo_app.services.accounts.passwords import verify_password
from jo_app.state.accounts.register import ForgotPasswordState, RegisterState
from tests.mail_codes import code_in, other_code
from tests.smtp_capture import SmtpCollector, smtp_capture
from tests.state.conftest import make_state

PASSWORD = "Piste!Verte2024"
VICTIM = "victim@example.org"
ATTACKER_IP = "203.0.113.66"


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch, tmp_path, engine) -> Iterator[SmtpCollector]:
    """The SMTP server, and the default counts of the code limits over day-long windows (a sliding minute could
    roll over during a slow run and forgive a request)."""
    monkeypatch.setenv("RATE_LIMIT_CODE_REQUEST", "5/day")
    monkeypatch.setenv("RATE_LIMIT_CODE_GUESS", "10/day")
    ratelimit.reset()
    try:
        with smtp_capture(monkeypatch, tmp_path / "outbox", engine) as collector:
            yield collector
    finally:
        ratelimit.reset()


def socket_state(cls, ip: str, cookie: str = "", path: str = "/mot-de-passe-oublie"):
    """The state `cls` of a brand-new socket from address `ip`."""
    return make_state(cls, cookie, path, ip=ip)


def run(cls, state, name: str, *args) -> None:
    """Run a handler to completion (background mail included: asyncio.run waits for the default executor)."""
    result = cls.event_handlers[name].fn(state, *args)
    if hasattr(result, "__aiter__"):
        async def drain():
            return [x async for x in result]
        asyncio.run(drain())
    elif asyncio.iscoroutine(result):
        asyncio.run(result)


def make_victim(engine, verified: bool = True) -> int:
    with Session(engine) as db:
        user = users.create_user(db, email=VICTIM, password=PASSWORD, first_name="Camille", last_name="Durand",
                                 verified=verified)
        db.commit()
        return user.id


def test_forgot_password_flood_from_four_sockets_is_throttled(db_engine, smtp_server) -> None:
    user_id = make_victim(db_engine)
    sockets = [socket_state(ForgotPasswordState, ATTACKER_IP) for _ in range(4)]
    refused = 0
    for _ in range(10):
        for state in sockets:
            run(ForgotPasswordState, state, "request_code", {"email": VICTIM})
            refused += state.errors == {"email": "err.rate_limited"}
    assert refused == 40 - 5  # 5 per client address (and per e-mail address)
    [mail] = smtp_server.to(VICTIM)  # one code mailed, not one per request
    code = code_in(mail.get_body(("plain",)).get_content())
    assert code

    # Guessing from the four sockets: 10 wrong guesses for this address and this e-mail, then refused.
    outcomes = []
    for n in range(40):
        state = sockets[n % 4]
        run(ForgotPasswordState, state, "reset_password", {"code": other_code(code), "password": "Nouveau!Passe24"})
        outcomes.append(state.errors.get("code"))
    assert outcomes.count("err.invalid_code") == 10 and outcomes.count("err.rate_limited") == 30
    with Session(db_engine) as db:
        assert verify_password(PASSWORD, db.get(User, user_id).password_hash)
        assert sum(r.failed_attempts for r in db.exec(select(EmailCode)).all()) == 5  # the code died after 5


def test_forgot_password_flood_from_many_addresses_mails_the_victim_once(db_engine, smtp_server) -> None:
    make_victim(db_engine)
    for n in range(40):  # a botnet: every socket from its own address
        state = socket_state(ForgotPasswordState, f"198.51.100.{n}")
        run(ForgotPasswordState, state, "request_code", {"email": VICTIM})
        assert state.notice == "msg.reset_sent" or state.errors == {"email": "err.rate_limited"}
    assert len(smtp_server.to(VICTIM)) == 1


def test_verification_resend_across_new_sockets_mails_once(db_engine, smtp_server) -> None:
    user_id = make_victim(db_engine, verified=False)
    with Session(db_engine) as db:
        token = sessions.create_session(db, user_id)
    for n in range(20):  # the same logged-in browser opening new sockets (each with a fresh per-tab counter)
        state = socket_state(RegisterState, f"198.51.100.{n}", cookie=f"jo_session={token}", path="/verification")
        run(RegisterState, state, "resend")
        assert state.notice == "msg.code_sent" or state.errors == {"code": "err.rate_limited"}
    [mail] = smtp_server.to(VICTIM)
    code = code_in(mail.get_body(("plain",)).get_content())
    state = socket_state(RegisterState, "198.51.100.200", cookie=f"jo_session={token}", path="/verification")
    run(RegisterState, state, "verify", {"email": VICTIM, "code": code})
    assert state.errors == {}
    with Session(db_engine) as db:
        assert db.get(User, user_id).is_verified
