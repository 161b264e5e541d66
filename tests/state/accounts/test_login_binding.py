"""Issue 11 item 2 with the login handler called as the websocket calls it: the hand-off code it mints works only
in the browser whose pre-login cookie the socket carried (login CSRF / session swapping refused)."""

from __future__ import annotations

import asyncio
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from jo_app.api.app import api
from jo_app.services import ratelimit
from jo_app.services.accounts import users
from jo_app.services.accounts.session_handoff import PRELOGIN_COOKIE, new_prelogin_nonce
from jo_app.state.accounts.login import LoginState
from tests.state.conftest import make_state

PASSWORD = "Piste!Verte2024"


@pytest.fixture
def db_engine(db_engine):
    ratelimit.reset()
    with Session(db_engine) as db:
        users.create_user(db, email="mallory@example.org", password=PASSWORD, first_name="M", last_name="A",
                          verified=True)
        db.commit()
    yield db_engine
    ratelimit.reset()


def login_over_socket(cookie: str, query: dict | None = None) -> tuple[LoginState, list[str]]:
    """A fresh socket on /connexion with this Cookie header submits the login form; returns the state and the
    scripts it sent back (the hard redirect)."""
    state = make_state(LoginState, cookie, "/connexion", ip="203.0.113.9", query=query)

    async def drain():
        gen = LoginState.event_handlers["submit"].fn(state, {"email": "mallory@example.org", "password": PASSWORD})
        return [repr(x) async for x in gen]

    return state, asyncio.run(drain())


def handoff_url(events: list[str]) -> str:
    found = re.search(r"/auth/complete\?code=([\w-]+)&next=([^\"'\\)]+)", " ".join(events))
    assert found, events
    return f"/auth/complete?code={found.group(1)}&next={found.group(2)}"


def test_attackers_code_is_refused_in_the_victims_browser(db_engine) -> None:
    attacker = new_prelogin_nonce()
    _, events = login_over_socket(f"{PRELOGIN_COOKIE}={attacker}", {"next": "/paiement"})
    url = handoff_url(events)
    with TestClient(api, base_url="http://testserver") as victim:
        victim.cookies.set(PRELOGIN_COOKIE, new_prelogin_nonce())  # she has been on the site before
        answer = victim.get(url, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/connexion?foreign=1"
    assert "jo_session" not in answer.headers.get("set-cookie", "")


def test_the_browser_that_logged_in_gets_its_session(db_engine) -> None:
    mine = new_prelogin_nonce()
    _, events = login_over_socket(f"other=1; {PRELOGIN_COOKIE}={mine}", {"next": "/paiement"})
    with TestClient(api, base_url="http://testserver") as browser:
        browser.cookies.set(PRELOGIN_COOKIE, mine)
        answer = browser.get(handoff_url(events), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/paiement"
    assert answer.headers["set-cookie"].startswith("jo_session=")


def test_a_socket_without_the_cookie_goes_through_prelogin_first(db_engine) -> None:
    state, events = login_over_socket("", {"next": "/panier"})
    assert state.errors == {"form": "err.cookies_needed"}
    assert "/auth/complete" not in " ".join(events)
    assert "/auth/prelogin?next=" in " ".join(events) and "prelogin%3D1" in " ".join(events)
