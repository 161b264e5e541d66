"""A tab whose websocket reconnects to a fresh Reflex state (its server died, or its token was taken meanwhile)
still shows who is logged in: the identity comes from the HttpOnly session cookie, re-read on every hydration."""

from __future__ import annotations

import json


def test_navbar_keeps_the_identity_when_a_reconnect_gets_a_fresh_state(new_context, make_visitor, login) -> None:
    email, password, _ = make_visitor()
    context = new_context()
    page = context.new_page()
    login(page, email, password)
    page.goto("/")
    page.locator("#page-shell[data-hydrated=true]").wait_for()
    page.locator("#nav-account").wait_for()
    token = page.evaluate("() => sessionStorage.getItem('token')")

    # The tab loses its websocket (what a killed server does) ...
    page.evaluate("() => window.dispatchEvent(new PageTransitionEvent('pagehide', {persisted: false}))")
    # ... and meanwhile its token is taken by another tab (as a dead process's socket record in Redis takes it).
    other = context.new_page()
    other.add_init_script(f"sessionStorage.setItem('token', {json.dumps(token)})")
    other.goto("/")
    other.locator("#nav-account").wait_for()
    assert other.evaluate("() => sessionStorage.getItem('token')") == token

    # The tab reconnects: the server hands it a new token, hence a fresh state with every var at its default.
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_function(f"() => sessionStorage.getItem('token') !== {json.dumps(token)}", timeout=20_000)
    page.locator("#page-shell[data-hydrated=true]").wait_for()
    page.locator("#nav-account").wait_for(timeout=10_000)
    assert page.locator("#nav-login").is_hidden()
    context.close()
