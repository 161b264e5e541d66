"""A visitor edits their name on /compte; the change is saved for them only and shown at once."""

from __future__ import annotations

from sqlmodel import Session

from jo_app.models import User


def test_visitor_renames_themself(page, live_app, make_visitor, login, screenshot) -> None:
    email, password, user_id = make_visitor()
    login(page, email, password)
    page.goto("/compte")
    page.locator("#page-shell[data-hydrated=true]").wait_for()
    page.locator("#profile-email").filter(has_text=email).wait_for()
    page.locator("#f-pf-first").fill("Zoé")
    page.locator("#f-pf-last").fill("Lambert")
    page.locator("#pf-submit").click()
    page.locator("#profile-first-name").filter(has_text="Zoé").wait_for()
    page.locator("#profile-last-name").filter(has_text="Lambert").wait_for()
    with Session(live_app.engine) as session:
        user = session.get(User, user_id)
        assert (user.first_name, user.last_name) == ("Zoé", "Lambert")
    screenshot(page, "account-profile-edited")
