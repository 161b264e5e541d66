"""Session cookie parsing (server side), the `next` filter, and the cookie-setting HTTP routes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from jo_app.api import auth_routes
from jo_app.api.app import api
from jo_app.services.accounts import session_handoff, sessions, users
from jo_app.services.accounts.session_handoff import PRELOGIN_COOKIE
from jo_app.state.auth import cookie_value

# Fixed values (not drawn at collection: pytest-xdist workers must collect the same parameters).
BROWSER = "g9mbyHW2x0WZb5K5lCPWl1fAXWt-TC63-dOXHC8fVR4"
OTHER_BROWSER = "__ax0OOujYp4ARkYJLns4qTKLDsNOPPUqXxILNdtmHo"


@pytest.mark.parametrize(("header", "expected"), [
    ("jo_session=abc", "abc"),
    ("a=1; jo_session=abc; b=2", "abc"),
    ("a=1;jo_session=abc", "abc"),
    ('jo_session="abc"', "abc"),
    ('bad="unterminated; jo_session=abc', "abc"),  # SimpleCookie would drop everything after the odd cookie
    ("x=1; jo_session=first; jo_session=second", "first"),
    ("my_jo_session=abc", None),
    ("jo_session_x=abc", None),
    ("jo_session=", None),
    ("jo_session", None),
    ("", None),
    (None, None),
])
def test_cookie_value(header: str | None, expected: str | None) -> None:
    assert cookie_value(header) == expected


def test_cookie_value_caps_length() -> None:
    assert len(cookie_value("jo_session=" + "a" * 5000)) == 512


@pytest.mark.parametrize(("value", "expected"), [
    ("/billets", "/billets"),
    ("/compte?x=1", "/compte?x=1"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("https://evil.example/", "/"),
    ("javascript:alert(1)", "/"),
    ("billets", "/"),
    ("/a\nb", "/"),
    ("", "/"),
    (None, "/"),
])
def test_safe_next(value: str | None, expected: str) -> None:
    assert auth_routes.safe_next(value) == expected


@pytest.fixture
def client(db_engine) -> TestClient:
    return TestClient(api, base_url="http://testserver")


def _token(engine) -> tuple[str, int]:
    with Session(engine) as db:
        user = users.create_user(db, email="visitor.r@example.org", password="Piste!Verte2024", first_name="R",
                                 last_name="T", verified=True)
        db.commit()
        return sessions.create_session(db, user.id), user.id


def test_complete_sets_httponly_cookie_once(client: TestClient, engine) -> None:
    token, _ = _token(engine)
    with Session(engine) as db:
        code = session_handoff.create_handoff(db, token, browser_nonce=BROWSER)
    client.cookies.set(PRELOGIN_COOKIE, BROWSER)
    response = client.get(f"/auth/complete?code={code}&next=/compte", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/compte"
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"jo_session={token};")
    for attribute in ("HttpOnly", "Path=/", "SameSite=lax", "Max-Age=604800"):
        assert attribute.lower() in set_cookie.lower(), attribute
    assert response.headers["cache-control"] == "no-store"
    replay = client.get(f"/auth/complete?code={code}&next=/compte", follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].startswith("/connexion")
    assert "set-cookie" not in replay.headers


def test_complete_never_redirects_off_site(client: TestClient, engine) -> None:
    token, _ = _token(engine)
    with Session(engine) as db:
        code = session_handoff.create_handoff(db, token, browser_nonce=BROWSER)
    client.cookies.set(PRELOGIN_COOKIE, BROWSER)
    response = client.get(f"/auth/complete?code={code}&next=//evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/"


@pytest.mark.parametrize("victim_cookie", [None, OTHER_BROWSER])
def test_complete_refuses_a_code_minted_for_another_browser(client: TestClient, engine, victim_cookie) -> None:
    """Login CSRF: the attacker's hand-off code (bound to his pre-login cookie) opened by a victim's browser, with
    its own pre-login cookie or none: no session cookie, a clear page, and the code is spent."""
    token, _ = _token(engine)
    with Session(engine) as db:
        code = session_handoff.create_handoff(db, token, browser_nonce=BROWSER)
    if victim_cookie:
        client.cookies.set(PRELOGIN_COOKIE, victim_cookie)
    response = client.get(f"/auth/complete?code={code}&next=/paiement", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/connexion?foreign=1"
    assert "jo_session" not in response.headers.get("set-cookie", "")
    client.cookies.clear()
    client.cookies.set(PRELOGIN_COOKIE, BROWSER)  # spent: not even the attacker's own browser can use it now
    again = client.get(f"/auth/complete?code={code}&next=/", follow_redirects=False)
    assert again.headers["location"] == "/connexion?expired=1" and "set-cookie" not in again.headers


def test_prelogin_route_sets_the_cookie_and_keeps_a_valid_one(client: TestClient) -> None:
    first = client.get("/auth/prelogin?next=/connexion%3Fnext%3D/panier", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/connexion?next=/panier"
    set_cookie = first.headers["set-cookie"]
    value = cookie_value(set_cookie.split(";")[0], PRELOGIN_COOKIE)
    assert session_handoff.valid_nonce(value)
    for attribute in ("HttpOnly", "Path=/", "SameSite=lax", "Max-Age=43200"):
        assert attribute.lower() in set_cookie.lower(), attribute
    client.cookies.set(PRELOGIN_COOKIE, value)
    again = client.get("/auth/prelogin?next=//evil.example/", follow_redirects=False)
    assert again.headers["location"] == "/connexion"
    assert again.headers["set-cookie"].startswith(f"{PRELOGIN_COOKIE}={value};")


def test_html_responses_give_the_prelogin_cookie_before_the_websocket() -> None:
    """The security middleware sets the cookie on HTML responses (the page document) without one, never on JSON,
    and leaves a present one alone."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.routing import Route

    from jo_app.web.security import security_middleware

    inner = Starlette(routes=[Route("/page", lambda r: HTMLResponse("<html></html>")),
                              Route("/data", lambda r: JSONResponse({}))])
    with TestClient(security_middleware(inner)) as web:
        page = web.get("/page")
        assert page.headers["set-cookie"].startswith(f"{PRELOGIN_COOKIE}=") and "HttpOnly" in page.headers["set-cookie"]
        assert "set-cookie" not in web.get("/data").headers
        web.cookies.set(PRELOGIN_COOKIE, BROWSER)
        assert "set-cookie" not in web.get("/page").headers


def test_cleared_expires_the_cookie(client: TestClient) -> None:
    response = client.get("/auth/cleared?next=/connexion", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/connexion"
    assert 'jo_session=""' in response.headers["set-cookie"] and "Max-Age=0" in response.headers["set-cookie"]


def test_post_logout_revokes_for_same_origin_only(client: TestClient, engine) -> None:
    token, _ = _token(engine)
    client.cookies.set("jo_session", token)
    refused = client.post("/auth/logout", headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False)
    assert refused.status_code == 403
    with Session(engine) as db:
        assert sessions.resolve_session(db, token) is not None
    done = client.post("/auth/logout", headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert done.status_code == 303
    with Session(engine) as db:
        assert sessions.resolve_session(db, token) is None
