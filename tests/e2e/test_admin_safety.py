"""Issue 13 item 9, clicked by an admin at 1366x850: a new event is a draft until "Publier" is clicked; a role
change asks for confirmation (cancel changes nothing); the dashboard's paid orders and tickets sold stay consistent
after a buyer deletes their account."""

from __future__ import annotations

import re
import uuid

from sqlmodel import Session, select

from jo_app.models import Event, Role, User
from jo_app.services.accounts import users
from tests.e2e.clicks_helpers import DESKTOP, buy, hydrated, login_via_menu, make_event, open_home


def _number(page, selector: str) -> int:
    return int(re.sub(r"\D", "", page.locator(selector).inner_text()))


def _paid_orders(page) -> int:
    """The "Commandes payées : N" line of the revenue card."""
    card = page.locator(".rt-Card", has=page.locator("#kpi-revenue"))
    return int(re.sub(r"\D", "", re.search(r"Commandes payées\s*:\s*([\d\s\u202f]+)", card.inner_text()).group(1)))


def _admin_page(new_context, make_visitor, lang: str = "fr"):
    email, password, admin_id = make_visitor(role=Role.ADMIN)
    page = new_context(viewport=DESKTOP).new_page()
    open_home(page, lang)
    login_via_menu(page, email, password)
    page.locator("#nav-admin").click()  # (admins land on /admin since item 7; the menu works either way)
    page.wait_for_url(re.compile(r".*/admin/?$"))
    return page, admin_id


def test_new_event_is_a_draft_until_published(new_context, live_app, make_visitor):
    page, _admin_id = _admin_page(new_context, make_visitor)
    page.locator("#admin-nav-catalog").click()
    page.locator("#event-form").wait_for()
    title = f"Brouillon escrime {uuid.uuid4().hex[:6]}"
    assert not page.locator("#ev-published").is_checked()  # draft by default
    page.fill("#ev-title", title)
    page.fill("#ev-sport", "Escrime")
    page.fill("#ev-venue", "Grand Palais")
    page.fill("#ev-starts_at", "2027-03-10T18:00")
    page.fill("#ev-capacity", "300")
    page.click("#event-submit")
    page.locator("#admin-message").filter(has_text="brouillon").wait_for()
    with Session(live_app.engine) as db:
        event = db.exec(select(Event).where(Event.title == title)).one()
        assert not event.is_published
    row = page.locator(f"#event-row-{event.id}")
    row.filter(has_text="Non publié").wait_for()
    page.click(f"#event-publish-{event.id}")
    row.filter(has_text="Publié").wait_for()
    page.locator(f"#event-unpublish-{event.id}").wait_for()
    with Session(live_app.engine) as db:
        assert db.get(Event, event.id).is_published


def test_role_change_asks_for_confirmation(new_context, live_app, make_visitor):
    page, _admin_id = _admin_page(new_context, make_visitor, "en")
    target_email, _pw, target_id = make_visitor()
    page.locator("#admin-nav-users").click()
    page.fill("#users-q", target_email)
    page.click("#users-search")
    select_role = page.locator(f"#user-role-{target_id}")
    select_role.wait_for()

    def role_in_db() -> str:
        with Session(live_app.engine) as db:
            return db.get(User, target_id).role

    select_role.select_option("employee")
    page.locator("#role-dialog").filter(has_text=target_email).wait_for()
    page.locator("#role-confirm-new").filter(has_text="Employee").wait_for()
    assert role_in_db() == "visitor"  # the menu alone changes nothing
    page.click("#role-cancel")
    page.locator("#role-dialog").wait_for(state="detached")
    assert select_role.input_value() == "visitor" and role_in_db() == "visitor"

    select_role.select_option("employee")
    page.click("#role-confirm")
    page.locator("#admin-message").filter(has_text="Role changed").wait_for()
    assert role_in_db() == "employee"
    assert select_role.input_value() == "employee"


def test_dashboard_orders_and_tickets_stay_consistent_after_an_account_deletion(new_context, live_app,
                                                                               make_visitor):
    _event_id, offers = make_event(live_app, title=f"Tableau de bord {uuid.uuid4().hex[:6]}")
    buyer_email, buyer_password, buyer_id = make_visitor()
    buy(live_app, buyer_id, offers["duo"], 2)  # one paid order, two tickets
    page, _admin_id = _admin_page(new_context, make_visitor)
    page.locator("#kpi-revenue").wait_for()
    orders_before, tickets_before = _paid_orders(page), _number(page, "#kpi-tickets-sold")

    # The buyer deletes their account, in their own browser, while holding tickets for an upcoming session: refused
    # first, then "cancel my tickets and delete my account" (the forced erasure).
    buyer = new_context(viewport=DESKTOP).new_page()
    open_home(buyer)
    login_via_menu(buyer, buyer_email, buyer_password)
    buyer.locator("#nav-account").click()
    hydrated(buyer)
    buyer.locator("#f-del-password").fill(buyer_password)
    buyer.locator("#delete-submit").click()
    buyer.locator("#delete-force").click()
    buyer.wait_for_url(re.compile(r".*/connexion/?\?deleted=1$"))
    with Session(live_app.engine) as db:
        assert users.get_user(db, buyer_id).email != buyer_email

    # The open dashboard follows live: the two tickets and the emptied order leave the figures together.
    sold_after = page.locator("#kpi-tickets-sold").filter(has_text=re.compile(rf"^{tickets_before - 2}$"))
    sold_after.wait_for()
    assert _paid_orders(page) == orders_before - 1
    # And so does a dashboard opened again from the admin menu.
    page.locator("#admin-nav-orders").click()
    hydrated(page)
    page.locator("#admin-nav-dashboard").click()
    sold_after.wait_for()
    assert _paid_orders(page) == orders_before - 1
