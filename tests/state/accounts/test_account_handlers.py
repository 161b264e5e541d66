"""Account handlers called directly, as a hostile client could call them over the websocket (any handler, any
arguments): without a valid session cookie they do nothing; with one they act only on that user's own data."""

from __future__ import annotations

import asyncio
import base64
import json
import re

import pytest
from reflex.istate.data import RouterData
from sqlmodel import Session, select

from jo_app.models import User, UserSession
from jo_app.services.accounts import login, sessions, twofactor, users
from jo_app.state.accounts.account import AccountState
from jo_app.state.accounts.twofactor import TwoFactorState
from tests.state.conftest import make_state

PASSWORD = "Piste!Verte2024"


def _user(engine, email: str) -> tuple[int, str]:
    with Session(engine) as db:
        user = users.create_user(db, email=email, password=PASSWORD, first_name="A", last_name="B", verified=True)
        db.commit()
        return user.id, sessions.create_session(db, user.id)


def _state(cls, cookie: str):
    return make_state(cls, cookie, "/compte")


def _run(cls, name: str, state, *args):
    result = cls.event_handlers[name].fn(state, *args)
    if hasattr(result, "__aiter__"):
        async def drain():
            return [x async for x in result]
        return asyncio.run(drain())
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


@pytest.mark.parametrize("cookie", ["", "jo_session=forged-token", "other=1"])
def test_without_a_valid_session_nothing_happens(db_engine, cookie: str) -> None:
    user_id, token = _user(db_engine, "victim@example.org")
    _, other_token = _user(db_engine, "someone@example.org")
    with Session(db_engine) as db:
        victim_session = db.exec(select(UserSession).where(UserSession.user_id == user_id)).one().id
    state = _state(AccountState, cookie)
    assert _run(AccountState, "export_data", state) is None
    _run(AccountState, "on_load", state)
    assert state.email == "" and state.session_rows == [] and not state.loaded
    _run(AccountState, "change_password", state, {"current_password": PASSWORD, "new_password": "New!Passw0rd#x"})
    _run(AccountState, "revoke_session", state, str(victim_session))
    _run(AccountState, "logout_everywhere", state)
    _run(AccountState, "delete_account", state, {"delete_password": PASSWORD})
    tf = _state(TwoFactorState, cookie)
    _run(TwoFactorState, "start", tf)
    assert tf.qr_uri == "" and tf.secret_display == ""
    with Session(db_engine) as db:
        user = db.get(User, user_id)
        assert user.anonymized_at is None and user.totp_secret_encrypted is None
        assert login.authenticate(db, email="victim@example.org", password=PASSWORD).user_id == user_id
        assert sessions.resolve_session(db, token) is not None
        assert sessions.resolve_session(db, other_token) is not None


def test_logged_in_user_acts_only_on_own_data(db_engine) -> None:
    user_id, token = _user(db_engine, "owner@example.org")
    _, second_token = _user(db_engine, "owner2@example.org")  # another user's session
    with Session(db_engine) as db:
        second = sessions.resolve_session(db, second_token)
    state = _state(AccountState, f"jo_session={token}")
    _run(AccountState, "on_load", state)
    assert state.loaded and state.email == "owner@example.org" and len(state.session_rows) == 1
    # Another user's session id passed by hand: ignored.
    _run(AccountState, "revoke_session", state, str(second.session_id))
    with Session(db_engine) as db:
        assert sessions.resolve_session(db, second_token) is not None
    # The export is this user's data only.
    download = _run(AccountState, "export_data", state)
    assert download is not None
    encoded = re.search(r"data:application/json;base64,([A-Za-z0-9+/=]+)", json.dumps(download.args, default=str))
    exported = json.loads(base64.b64decode(encoded.group(1)))
    assert exported["profile"]["email"] == "owner@example.org"
    assert "owner2@example.org" not in json.dumps(exported)
    # 2FA enrolment starts for this user only.
    tf = _state(TwoFactorState, f"jo_session={token}")
    _run(TwoFactorState, "start", tf)
    assert tf.qr_uri.startswith("data:image/png;base64,") and len(tf.secret_display.replace(" ", "")) == 32
    with Session(db_engine) as db:
        assert twofactor.stored_secret(db.get(User, user_id)) == tf.secret_display.replace(" ", "")


def test_log_out_everywhere_keeps_only_this_session(db_engine) -> None:
    user_id, token = _user(db_engine, "many@example.org")
    with Session(db_engine) as db:
        others = [sessions.create_session(db, user_id) for _ in range(2)]
    state = _state(AccountState, f"jo_session={token}")
    _run(AccountState, "on_load", state)
    assert len(state.session_rows) == 3
    _run(AccountState, "logout_everywhere", state)
    assert len(state.session_rows) == 1 and state.session_rows[0]["current"]
    with Session(db_engine) as db:
        assert sessions.resolve_session(db, token) is not None
        assert all(sessions.resolve_session(db, t) is None for t in others)


def test_client_address_ignores_a_spoofed_forwarded_header() -> None:
    state = _state(AccountState, "")
    state.router = RouterData.from_router_data({
        "headers": {"x-forwarded-for": "203.0.113.7", "cookie": ""}, "ip": "198.51.100.2", "pathname": "/",
    })
    assert state._client_ip() == "198.51.100.2"


def test_profile_update_changes_only_the_session_owner(db_engine) -> None:
    user_id, token = _user(db_engine, "renamed@example.org")
    other_id, _ = _user(db_engine, "bystander@example.org")
    anonymous = _state(AccountState, "")
    _run(AccountState, "update_profile", anonymous, {"first_name": "Pirate", "last_name": "X", "user_id": user_id})
    state = _state(AccountState, f"jo_session={token}")
    _run(AccountState, "on_load", state)
    _run(AccountState, "update_profile", state, {"first_name": "", "last_name": "Martin"})
    assert state.errors.get("pf_first_name"), "an empty first name is refused next to its field"
    _run(AccountState, "update_profile", state, {"first_name": " Léa ", "last_name": "Martin", "user_id": other_id})
    assert state.notice == "msg.profile_updated" and state.first_name == "Léa"
    with Session(db_engine) as db:
        assert (db.get(User, user_id).first_name, db.get(User, user_id).last_name) == ("Léa", "Martin")
        assert db.get(User, other_id).first_name != "Léa"
        assert db.get(User, other_id).first_name != "Pirate"


def test_login_form_is_rate_limited_per_address_and_account(db_engine, monkeypatch) -> None:
    from jo_app.api import ratelimit
    from jo_app.config import get_settings
    from jo_app.models import LoginAttempt
    from jo_app.state.accounts.login import LoginState

    monkeypatch.setenv("RATE_LIMIT_LOGIN", "2/minute")
    get_settings.cache_clear()
    ratelimit.reset()
    try:
        _user(db_engine, "limited@example.org")
        from jo_app.services.accounts.session_handoff import PRELOGIN_COOKIE, new_prelogin_nonce

        state = _state(LoginState, f"{PRELOGIN_COOKIE}={new_prelogin_nonce()}")
        for _ in range(2):
            _run(LoginState, "submit", state, {"email": "limited@example.org", "password": "wrong-Passw0rd!"})
            assert state.errors.get("form") and state.errors["form"] != "err.rate_limited"
        _run(LoginState, "submit", state, {"email": "limited@example.org", "password": PASSWORD})
        assert state.errors == {"form": "err.rate_limited"}
        with Session(db_engine) as db:  # the refused attempt never reached the password check
            assert len(db.exec(select(LoginAttempt).where(LoginAttempt.email == "limited@example.org")).all()) == 2
    finally:
        ratelimit.reset()
        monkeypatch.delenv("RATE_LIMIT_LOGIN")
        get_settings.cache_clear()
