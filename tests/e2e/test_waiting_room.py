"""Waiting room in the browser, live: a visitor finds a queued session in the catalogue and lands on its waiting
page, joins before the opening (countdown), gets a drawn place at the opening without reloading, is let in when the
queue moves (the broadcast, no click) and buys with the pass kept on the server; a second tab of the same account
shares the place (French, desktop). On a phone in English: the place and people ahead move live as the queue
advances, then the visitor is sent to the shop. Queue changes are made by the services (as an admin screen or the
CLI would); the app's own periodic tick broadcasts them."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, select

from jo_app.models import Event, QueueEntry
from jo_app.services.orders import onsales, waiting_room
from jo_app.services.orders.onsales import OnSaleInput
from jo_app.timeutil import utcnow
from tests.e2e.clicks_helpers import DESKTOP, PHONE, hydrated, login_via_menu, make_event, open_home
from tests.e2e.test_shop import GOOD_CARD, add_pack, fill_card


def _onsale(live_app, event_id: int, *, opens_in: float, rate: int, paused: bool) -> int:
    with Session(live_app.engine) as db:
        onsale_id = onsales.create_onsale(db, None, OnSaleInput(
            name="Finale", opens_at=utcnow() + timedelta(seconds=opens_in), rate_per_minute=rate,
            event_ids=(event_id,)))
        if paused:
            onsales.set_paused(db, None, onsale_id, True)
    return onsale_id


def _others_join(live_app, make_visitor, onsale_id: int, count: int) -> None:
    with Session(live_app.engine) as db:
        for _ in range(count):
            waiting_room.join(db, make_visitor()[2], onsale_id)


def to_waiting_room(page, title: str, onsale_id: int, *, phone: bool = False) -> None:
    """Catalogue from the menu, search, click the session: a queued session sends the visitor to its queue."""
    if phone:
        page.locator("#mobile-menu-button").click()
        page.get_by_role("menuitem", name=re.compile("Billetterie|Tickets", re.I)).first.click()
    else:
        page.locator("header a[href='/billetterie']").first.click()
    page.wait_for_url(re.compile(r".*/billetterie/?(\?.*)?$"))
    hydrated(page)
    page.locator("#filter-text").fill(title)
    page.locator("#filter-search").click()
    card = page.locator("[data-testid=event-card]").filter(has_text=title)
    card.first.locator("a").first.click()
    page.wait_for_url(f"**/file-attente/{onsale_id}", timeout=60_000)  # (a loaded machine: on_load can lag)
    hydrated(page)


def _place(live_app, onsale_id: int, user_id: int) -> int | None:
    with Session(live_app.engine) as db:
        return db.exec(select(QueueEntry.position).where(QueueEntry.onsale_id == onsale_id,
                                                         QueueEntry.user_id == user_id)).first()


def test_waits_for_the_opening_gets_a_place_is_let_in_live_and_buys_fr_desktop(new_context, live_app, make_visitor,
                                                                               screenshot):
    title = "Finale file d'attente en direct"
    event_id, offers = make_event(live_app, capacity=10, title=title)
    onsale_id = _onsale(live_app, event_id, opens_in=35, rate=120, paused=True)
    _others_join(live_app, make_visitor, onsale_id, 2)  # two other early visitors: the draw mixes the three
    email, password, user_id = make_visitor()
    context = new_context(viewport=DESKTOP)
    page = context.new_page()
    open_home(page)
    login_via_menu(page, email, password)
    to_waiting_room(page, title, onsale_id)
    page.locator("#queue-join").click()
    page.locator("#queue-before-opening").wait_for()
    assert "Ouverture de la vente" in page.locator("#queue-before-opening").inner_text()
    assert re.search(r"dans \d+ secondes|dans quelques secondes", page.get_by_test_id("opens-in").inner_text())
    screenshot(page, "queue-countdown-fr")

    second = context.new_page()  # the same account in another tab: the same place
    second.goto(page.url)
    second.locator("#queue-before-opening").wait_for()

    # The opening: the app's tick draws the places; each page asks once for its own, no reload.
    page.locator("#queue-position").wait_for(timeout=60_000)
    place = _place(live_app, onsale_id, user_id)
    assert place in (1, 2, 3)
    assert page.locator("#queue-position").inner_text() == f"Votre place : {place}"
    assert f"Personnes devant vous : {place - 1}" in page.locator("#queue-ahead").inner_text()
    assert page.locator("#queue-paused").is_visible()
    second.locator("#queue-position").wait_for()
    assert second.locator("#queue-position").inner_text() == f"Votre place : {place}"
    screenshot(page, "queue-place-fr")

    with Session(live_app.engine) as db:  # admissions resume: the broadcast lets the visitor in
        onsales.set_paused(db, None, onsale_id, False)
    page.wait_for_url(f"**/billetterie/{event_id}", timeout=20_000)
    second.wait_for_url(f"**/billetterie/{event_id}", timeout=20_000)
    hydrated(page)
    add_pack(page, offers["duo"])
    page.locator("header a[href='/panier']").first.click()
    page.wait_for_url("**/panier")
    page.locator("#go-checkout").click()
    page.wait_for_url("**/paiement")
    fill_card(page, GOOD_CARD)
    page.locator("#pay-button").click()
    page.wait_for_url("**/commandes/JO24-*", timeout=20_000)
    with Session(live_app.engine) as db:
        assert db.get(Event, event_id).seats_sold == 2


def test_place_and_people_ahead_move_live_then_admitted_en_phone(new_context, live_app, make_visitor, screenshot):
    title = "Live queue final"
    event_id, _offers = make_event(live_app, capacity=10, title=title)
    onsale_id = _onsale(live_app, event_id, opens_in=-1, rate=20, paused=True)
    _others_join(live_app, make_visitor, onsale_id, 2)  # places 1 and 2, in arrival order after the opening
    email, password, _user_id = make_visitor()
    page = new_context(viewport=PHONE).new_page()
    open_home(page, "en")
    login_via_menu(page, email, password, phone=True)
    to_waiting_room(page, title, onsale_id, phone=True)
    page.locator("#queue-join").click()
    page.locator("#queue-position").wait_for()
    assert page.locator("#queue-position").inner_text() == "Your place: 3"
    assert page.locator("#queue-ahead").inner_text() == "People ahead of you: 2"
    assert page.locator("#queue-paused").inner_text() == "Admissions are paused for now."
    screenshot(page, "queue-phone-en")
    with Session(live_app.engine) as db:  # 20 per minute: one place every 3 s, pushed to the page each tick
        onsales.set_paused(db, None, onsale_id, False)
    page.get_by_text("People ahead of you: 1").wait_for(timeout=15_000)
    assert page.locator("#queue-eta").inner_text() == "Estimated wait: about 1 min"
    page.wait_for_url(f"**/billetterie/{event_id}", timeout=20_000)
    page.locator("#page-shell[lang=en]").wait_for()
