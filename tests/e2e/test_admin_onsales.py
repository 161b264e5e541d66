"""Admin waiting-room screen clicked by an administrator: create a queued on-sale for two sessions with an opening
time and a rate, see the figures move live as a visitor queues, pause, resume, change the rate, end the queue
(French, desktop); the same screen in English on a phone. A visitor never sees the screen."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from jo_app.models import Event, OnSale, Role
from jo_app.timeutil import utcnow
from tests.e2e.clicks_helpers import DESKTOP, PHONE, hydrated, login_via_menu, make_event, open_home
from tests.e2e.test_waiting_room import to_waiting_room


def _admin_screen(new_context, make_visitor, *, lang: str, viewport: dict):
    email, password, _admin_id = make_visitor(role=Role.ADMIN)
    page = new_context(viewport=viewport).new_page()
    open_home(page, lang)
    phone = viewport == PHONE
    login_via_menu(page, email, password, phone=phone)
    page.wait_for_url(re.compile(r".*/admin/?$"))
    page.locator("#admin-nav-onsales").click()
    page.wait_for_url("**/admin/file-attente")
    hydrated(page)
    page.locator("#onsale-create").wait_for()
    return page


def _paris(minutes: int) -> str:
    return (utcnow() + timedelta(minutes=minutes)).replace(tzinfo=ZoneInfo("UTC")).astimezone(
        ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")


def _create(page, name: str, event_ids: list[int], *, opens_in_minutes: int, rate: int):
    page.locator("#onsale-name").fill(name)
    page.locator("#onsale-opens_at").fill(_paris(opens_in_minutes))
    page.locator("#onsale-rate").fill(str(rate))
    for event_id in event_ids:
        page.locator(f"#onsale-event-{event_id}").check()
    page.locator("#onsale-create").click()
    page.locator("#admin-message").wait_for()
    card = page.locator("[data-onsale-id]").filter(has_text=name)
    card.wait_for()
    return card, int(card.get_attribute("data-onsale-id"))


def _figure(card, testid: str) -> str:
    return card.get_by_test_id(testid).inner_text()


def test_admin_creates_watches_and_steers_an_onsale_fr_desktop(new_context, live_app, make_visitor, screenshot):
    first, _o1 = make_event(live_app, title="Demi-finale file admin")
    second, _o2 = make_event(live_app, title="Finale file admin", days=31)
    page = _admin_screen(new_context, make_visitor, lang="fr", viewport=DESKTOP)
    # 1 per minute: nothing is let in before the visitor queues (an empty queue banks up to a minute)
    card, onsale_id = _create(page, "Finales d'escrime", [first, second], opens_in_minutes=-1, rate=1)
    assert "File d'attente créée" in page.locator("#admin-message").inner_text()
    with Session(live_app.engine) as db:
        assert {db.get(Event, first).onsale_id, db.get(Event, second).onsale_id} == {onsale_id}
    card.get_by_test_id("onsale-status").filter(has_text="En cours").wait_for(timeout=10_000)  # opened by the tick

    card.locator(f"#onsale-pause-{onsale_id}").click()
    card.get_by_test_id("onsale-status").filter(has_text="En pause").wait_for()
    assert "Entrées en pause" in page.locator("#admin-message").inner_text()
    card.locator(f"#onsale-resume-{onsale_id}").click()
    card.get_by_test_id("onsale-status").filter(has_text="En cours").wait_for()
    card.locator(f"#onsale-pause-{onsale_id}").click()
    card.get_by_test_id("onsale-status").filter(has_text="En pause").wait_for()

    # A visitor queues from the catalogue: the admin's figures move without a reload.
    email, password, _visitor_id = make_visitor()
    visitor = new_context(viewport=DESKTOP).new_page()
    open_home(visitor)
    login_via_menu(visitor, email, password)
    to_waiting_room(visitor, "Demi-finale file admin", onsale_id)
    visitor.locator("#queue-join").click()
    visitor.locator("#queue-paused").wait_for()
    card.get_by_test_id("onsale-waiting").filter(has_text=re.compile(r"^1$")).wait_for(timeout=15_000)
    screenshot(page, "admin-onsale-fr")

    card.locator(f"#onsale-rate-{onsale_id}").fill("45")
    card.locator(f"#onsale-set-rate-{onsale_id}").click()
    card.get_by_test_id("onsale-rate").filter(has_text="45").wait_for()
    card.locator(f"#onsale-close-{onsale_id}").click()
    card.get_by_test_id("onsale-status").filter(has_text="Terminée").wait_for()
    visitor.locator("#queue-closed").wait_for(timeout=10_000)  # pushed to the waiting page at once
    with Session(live_app.engine) as db:
        onsale = db.get(OnSale, onsale_id)
        assert (onsale.rate_per_minute, onsale.paused, onsale.closed) == (45, True, True)


def test_admin_screen_in_english_on_a_phone_and_closed_to_visitors(new_context, live_app, make_visitor):
    event_id, _offers = make_event(live_app, title="Queue admin phone final")
    page = _admin_screen(new_context, make_visitor, lang="en", viewport=PHONE)
    assert page.locator("#onsale-create").inner_text() == "Create the waiting room"
    card, onsale_id = _create(page, "Phone on-sale", [event_id], opens_in_minutes=60, rate=100)
    assert card.get_by_test_id("onsale-status").inner_text() == "Before opening"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways scroll
    card.locator(f"#onsale-rate-{onsale_id}").fill("250")
    card.locator(f"#onsale-set-rate-{onsale_id}").click()
    card.get_by_test_id("onsale-rate").filter(has_text="250").wait_for()
    assert "Admission rate changed" in page.locator("#admin-message").inner_text()

    email, password, _visitor = make_visitor()
    visitor = new_context(viewport=PHONE).new_page()
    open_home(visitor, "en")
    login_via_menu(visitor, email, password, phone=True)
    visitor.goto("/admin/file-attente")  # typed by hand: refused
    visitor.locator("#admin-denied").wait_for()
    assert visitor.locator("#onsale-create").count() == 0
