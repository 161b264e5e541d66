"""Issue 11 item 2 against the running app: login CSRF / session swapping through /auth/complete.

The attack as reported: the attacker logs into his own account over a raw websocket, takes the one-time hand-off
link the login handler answers with, and gets a victim to open it (`/auth/complete?code=...&next=/paiement`):
her browser was then in his account, and her card payment created an order in it. Now the code is bound to the
attacker's pre-login cookie: the victim's Chromium gets a clear refusal, no session, and her own login still works.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid

import socketio

from jo_app.i18n import CATALOGUE

NAMESPACE = "/_event"


def attacker_handoff_url(base: str, email: str, password: str) -> str:
    """Log in over a raw websocket (with a pre-login cookie the attacker got from the site) and return the
    /auth/complete link the server answered with."""
    from jo_app.state.accounts.login import LoginState

    with urllib.request.urlopen(f"{base}/connexion") as page:  # the attacker's own visit gives him a cookie
        cookie = next(v.split(";")[0] for k, v in page.headers.items() if k.lower() == "set-cookie"
                      and v.startswith("jo_prelogin="))
    received: list[str] = []
    sio = socketio.Client(reconnection=False)
    sio.on("*", lambda event, data=None: received.append(json.dumps(data)), namespace=NAMESPACE)
    sio.connect(f"{base}?token={uuid.uuid4()}", socketio_path=NAMESPACE, transports=["websocket"],
                namespaces=[NAMESPACE], headers={"Cookie": cookie}, wait_timeout=10)
    try:
        router = {"pathname": "/connexion", "asPath": "/connexion?next=/paiement", "query": {"next": "/paiement"}}
        sio.emit("event", namespace=NAMESPACE, data={
            "name": f"{LoginState.get_full_name()}.submit", "router_data": router,
            "payload": {"form": {"email": email, "password": password}}})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = re.search(r"/auth/complete\?code=([\w-]+)&next=([\w/%-]+)", " ".join(received))
            if found:
                return f"/auth/complete?code={found.group(1)}&next={found.group(2)}"
            time.sleep(0.1)
        raise AssertionError(f"no hand-off link in {received!r}")
    finally:
        sio.disconnect()


def test_attackers_login_link_does_not_log_the_victim_in(new_context, make_visitor, live_app, login) -> None:
    attacker_email, attacker_password, _ = make_visitor()
    victim_email, victim_password, _ = make_visitor()
    link = attacker_handoff_url(live_app.url, attacker_email, attacker_password)

    victim = new_context(viewport={"width": 390, "height": 844})
    page = victim.new_page()
    page.goto("/")  # she has been on the site before
    page.locator("#page-shell[data-hydrated=true]").wait_for()
    page.goto(link)  # ... and opens the link she was sent
    page.wait_for_url(re.compile(r".*/connexion/?\?foreign=1$"))
    page.locator("#page-shell[data-hydrated=true]").wait_for()
    page.locator("#notice").filter(has_text=CATALOGUE["err.handoff_foreign"]["fr"][:40]).wait_for()
    assert not any(c["name"] == "jo_session" for c in victim.cookies())

    # Her own login, in the same tab, works and honours `next`.
    login(page, victim_email, victim_password, next_path="/compte")
    page.wait_for_url(re.compile(r".*/compte/?$"))
    page.locator("#profile-email").filter(has_text=victim_email).wait_for()
    assert any(c["name"] == "jo_session" and c["httpOnly"] for c in victim.cookies())
    prelogin = [c for c in victim.cookies() if c["name"] == "jo_prelogin"]
    assert prelogin and prelogin[0]["httpOnly"] and prelogin[0]["sameSite"] == "Lax"
