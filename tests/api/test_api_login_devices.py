"""Attack over REST and the websocket login form: lock an administrator out with wrong passwords (issue 11 item 6).

Before: 5 wrong passwords (from anywhere) locked the account for 15 minutes. Now the owner's known device (the
`jo_device` cookie set at her last login) logs in through both doors, whatever the attacker did through both
doors; the attacker is refused with `locked_out` / 429 and a Retry-After. REST and websocket share the counters
(the same `accounts.authenticate` and database rows).
"""

from __future__ import annotations

import asyncio
from functools import partial

import pytest
from fastapi.testclient import TestClient

from jo_app.db import session_scope
from jo_app.services.accounts import device_cookies
from jo_app.state.accounts.login import LoginState
from tests.api.conftest import assert_error, production_stack
from tests.state.conftest import make_state

WRONG = "Wrong#Pass123"
PRELOGIN = "jo_prelogin=" + "p" * 43  # the pre-login cookie every page gives (the hand-off is bound to it)


@pytest.fixture
def states_on_test_db(db_engine):
    return db_engine


def ws_login(email: str, password: str, *, cookie: str = PRELOGIN, ip: str = "203.0.113.66") -> tuple[dict, list]:
    """Call the login form's websocket handler the way any client can; returns (errors, events yielded)."""
    state = make_state(LoginState, cookie, "/connexion", ip=ip)

    async def drain():
        return [x async for x in LoginState.event_handlers["submit"].fn(state, {"email": email, "password": password})]

    events = asyncio.run(drain())
    return dict(state.errors), events


def token(client: TestClient, email: str, password: str):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_the_owner_known_device_logs_in_through_both_doors_during_an_attack(
        client, world, engine, states_on_test_db) -> None:
    admin = world.admin
    # Her last login (REST) gave her client the device cookie: HttpOnly, SameSite=Strict, long-lived.
    first = token(client, admin.email, admin.password)
    assert first.status_code == 200
    set_cookie = first.headers["set-cookie"].lower()
    assert set_cookie.startswith("jo_device=") and "httponly" in set_cookie and "samesite=strict" in set_cookie
    device = client.cookies.get("jo_device")
    assert device_cookies.device_for(device, admin.id) is not None
    # The attacker, over the websocket form and over REST, from his own addresses.
    for _ in range(12):
        errors, _events = ws_login(admin.email, WRONG)
        assert errors["form"] in ("err.invalid_credentials", "err.locked_out"), errors
    with TestClient(production_stack(), base_url="http://localhost:3000") as attacker:
        outcomes = [token(attacker, admin.email, WRONG).status_code for _ in range(8)]
        assert 401 in outcomes and outcomes[-1] == 429
        refused = token(attacker, admin.email, admin.password)  # even the right password: he must wait
        assert_error(refused, 429, "locked_out")
        assert int(refused.headers["Retry-After"]) >= 1
    errors, _ = ws_login(admin.email, admin.password)  # an unknown browser is slowed too
    assert errors == {"form": "err.locked_out"}
    # The owner, with her device cookie: REST works at once ...
    assert token(client, admin.email, admin.password).status_code == 200
    # ... and so does the websocket form in her browser (the hand-off redirect, no error).
    errors, events = ws_login(admin.email, admin.password, cookie=f"{PRELOGIN}; jo_device={device}",
                              ip="198.51.100.20")
    assert errors == {} and "/auth/complete?code=" in str(events)


def test_auth_complete_sets_the_device_cookie_once(client, world, engine) -> None:
    from sqlmodel import Session

    from jo_app.api import auth_routes
    from jo_app.services.accounts import session_handoff, sessions

    nonce = "n" * 43

    def handoff() -> str:
        with Session(engine) as db:
            code = session_handoff.create_handoff(db, sessions.create_session(db, world.visitor.id),
                                                  browser_nonce=nonce)
            db.commit()
            return code

    client.cookies.set(session_handoff.PRELOGIN_COOKIE, nonce)

    original = auth_routes.session_scope
    auth_routes.session_scope = partial(session_scope, engine)
    try:
        response = client.get(f"/auth/complete?code={handoff()}&next=/billets", follow_redirects=False)
        assert response.status_code == 303
        device = response.cookies.get("jo_device")
        assert device_cookies.device_for(device, world.visitor.id) is not None
        again = client.get(f"/auth/complete?code={handoff()}&next=/billets", follow_redirects=False)
        assert again.status_code == 303 and "jo_device" not in again.headers.get("set-cookie", "")
    finally:
        auth_routes.session_scope = original
