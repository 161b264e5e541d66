"""The sign-up handlers called directly (as over the websocket): an address that already has an account gets the
very same screen, redirect and code-step errors as a new one; only the mailbox (real SMTP server) learns the truth."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from jo_app.api import ratelimit
from jo_app.models import EmailCode, User
from jo_app.services.accounts import users
from jo_app.state.accounts.register import RegisterState
from tests.mail_codes import code_in, other_code
from tests.smtp_capture import SmtpCollector, smtp_capture
from tests.state.conftest import make_state

PASSWORD = "Piste!Verte2024"
INTRUDER_PASSWORD = "Relay#Marseille7"
OWNER = "owner@example.org"


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch, tmp_path, engine) -> Iterator[SmtpCollector]:
    ratelimit.reset()
    try:
        with smtp_capture(monkeypatch, tmp_path / "outbox", engine) as collector:
            yield collector
    finally:
        ratelimit.reset()


def _state() -> RegisterState:
    return make_state(RegisterState, "", "/inscription")


def _run(state: RegisterState, name: str, *args) -> list:
    """Run a handler to completion (background mail included: asyncio.run waits for the default executor)."""
    result = RegisterState.event_handlers[name].fn(state, *args)
    if hasattr(result, "__aiter__"):
        async def drain():
            return [x async for x in result]
        return asyncio.run(drain())
    asyncio.run(result) if asyncio.iscoroutine(result) else None
    return []


def _screen(state: RegisterState) -> tuple:
    return state.errors, state.notice, state.busy


def _events(events: list) -> list[str]:
    """Comparable events (a fresh closure per redirect: its address is dropped)."""
    return [re.sub(r" at 0x[0-9a-f]+", "", repr(e)) for e in events]


@pytest.mark.parametrize("owner_verified", [True, False])
def test_taken_address_gets_the_same_screens_and_only_the_owner_is_mailed(db_engine, smtp_server,
                                                                         owner_verified: bool) -> None:
    with Session(db_engine) as db:
        owner = users.create_user(db, email=OWNER, password=PASSWORD, first_name="Camille", last_name="Durand",
                                  verified=owner_verified)
        db.commit()
        owner_id, owner_before = owner.id, owner.model_dump()
    form = {"first_name": "Mallory", "last_name": "Intrus", "password": INTRUDER_PASSWORD, "consent": "on"}
    fresh, taken = _state(), _state()
    fresh_events = _run(fresh, "register", {**form, "email": "new.fan@example.org"})
    taken_events = _run(taken, "register", {**form, "email": " Owner@Example.org "})

    # Same screen and the same redirect to the code step.
    assert _events(taken_events) == _events(fresh_events)
    assert any("/verification" in e for e in _events(fresh_events))
    assert _screen(taken) == _screen(fresh) == ({}, "msg.registered", False)
    assert (fresh.email, taken.email) == ("new.fan@example.org", OWNER)

    # Mail: a code to the new address, a notice (no code) to the owner.
    [code_mail] = smtp_server.to("new.fan@example.org")
    code = code_in(code_mail.get_body(("plain",)).get_content())
    [notice] = smtp_server.to(OWNER)
    assert "Tentative d'inscription" in str(notice["Subject"])
    assert code_in(notice.get_body(("plain",)).get_content()) is None

    # Code step: any code for the taken address fails with the generic message, exactly like a wrong code.
    wrong = other_code(code)
    _run(fresh, "verify", {"email": fresh.email, "code": wrong})
    for guess in ("000000", "ABCDE-FGHJK", code):
        _run(taken, "verify", {"email": taken.email, "code": guess})
        assert _screen(taken) == _screen(fresh) == ({"code": "err.invalid_code"}, "msg.registered", False)

    # "Send a new code" (once the first code's one-minute cool-down is over): same notice; the new account gets a
    # code, the existing one nothing (no code to take it).
    with Session(db_engine) as db:
        for row in db.exec(select(EmailCode)).all():  # (in Python: SQLite cannot subtract from a datetime string)
            row.created_at -= timedelta(seconds=61)
            db.add(row)
        db.commit()
    _run(fresh, "resend")
    _run(taken, "resend")
    assert _screen(taken) == _screen(fresh) == ({}, "msg.code_sent", False)
    assert len(smtp_server.to("new.fan@example.org")) == 2 and len(smtp_server.to(OWNER)) == 1

    with Session(db_engine) as db:
        assert db.get(User, owner_id).model_dump() == owner_before
        assert db.exec(select(EmailCode).where(EmailCode.user_id == owner_id)).all() == []
        assert len(db.exec(select(User)).all()) == 2
    # The new account still verifies with its latest code.
    latest = code_in(smtp_server.to("new.fan@example.org")[-1].get_body(("plain",)).get_content())
    _run(fresh, "verify", {"email": fresh.email, "code": latest})
    assert fresh.errors == {}
    with Session(db_engine) as db:
        assert db.exec(select(User).where(User.email == "new.fan@example.org")).one().is_verified
