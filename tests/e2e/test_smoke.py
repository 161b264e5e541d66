"""The real app serves the home page with a figure read from the database."""

from __future__ import annotations

from sqlmodel import Session

from jo_app.services import summary


def test_home_shows_sessions_on_sale_from_database(page, live_app, screenshot) -> None:
    with Session(live_app.engine) as session:
        expected = summary.sessions_on_sale(session)
    assert expected > 0, "the demo data should put sessions on sale"
    page.goto("/")
    figure = page.locator("#sessions-on-sale")
    figure.wait_for()
    page.wait_for_function(
        "expected => document.querySelector('#sessions-on-sale').textContent.trim() === String(expected)",
        arg=expected,
    )
    screenshot(page, "home-desktop")
