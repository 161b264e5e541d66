"""Seat holds in the browser: the countdown on the cart and payment pages, paying within the hold (French, desktop),
and a hold that expires while the cart is open, then is held again and paid (English, phone width).

The hold is made to expire by moving its expiry in the database (the e2e app is shared by the session, so
CART_HOLD_MINUTES cannot be shortened for one test); the page learns it the way a visitor would: the cart page's
expiry watcher wakes up at the (new) expiry and the line says so, with a button to hold the seats again.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session

from jo_app.models import Event, SeatHold
from jo_app.timeutil import utcnow
from tests.e2e.test_shop import GOOD_CARD, add_pack, fill_card, make_event, sign_in

PHONE = {"width": 390, "height": 844}


def counters(live_app, event_id: int) -> tuple[int, int]:
    with Session(live_app.engine) as db:
        event = db.get(Event, event_id)
        return event.seats_sold, event.seats_held


def test_hold_countdown_on_cart_and_payment_then_pay_fr(new_context, live_app, make_visitor, screenshot):
    event_id, offers = make_event(live_app, capacity=10, title="Finale test réservation")
    _email, _password, user_id = make_visitor()
    context = new_context()
    sign_in(context, live_app, user_id)
    page = context.new_page()
    page.goto(f"/billetterie/{event_id}")
    add_pack(page, offers["duo"], 2)
    assert counters(live_app, event_id) == (0, 4)  # held at once, before any payment
    page.wait_for_function(  # seats left count the held seats as taken
        "id => document.getElementById('seats-left-' + id).textContent.trim() === '6'", arg=event_id)

    page.locator("header a[href='/panier']").first.click()
    page.wait_for_url("**/panier")
    hold = page.locator("#cart-hold")
    hold.wait_for()
    # The page first shows the cart the client already had (no expiry yet), then its on_load brings the expiry.
    page.wait_for_function("() => /dans 1[45] minutes/.test(document.getElementById('cart-hold').textContent)")
    assert "Vos places sont réservées" in hold.inner_text()
    screenshot(page, "holds-cart-countdown-fr")

    page.locator("#go-checkout").click()
    page.wait_for_url("**/paiement")
    page.locator("#checkout-hold").wait_for()
    assert "dans 1" in page.locator("#checkout-hold [data-testid='hold-left']").inner_text()
    fill_card(page, GOOD_CARD)
    page.locator("#pay-button").click()
    page.wait_for_url("**/commandes/JO24-*", timeout=20_000)
    page.locator("#order-confirmed").wait_for()
    assert counters(live_app, event_id) == (4, 0)  # the held seats became sold ones


def test_hold_expires_in_the_open_cart_then_held_again_and_paid_en_phone(new_context, live_app, make_visitor,
                                                                         screenshot):
    event_id, offers = make_event(live_app, capacity=10, title="Final hold expiry test")
    _email, _password, user_id = make_visitor()
    context = new_context(viewport=PHONE)
    sign_in(context, live_app, user_id)
    page = context.new_page()
    page.goto(f"/billetterie/{event_id}")
    page.locator("#lang-en").click()
    add_pack(page, offers["solo"], 3)
    assert counters(live_app, event_id) == (0, 3)

    # The hold now ends in 15 seconds: the visitor opens the cart (menu -> Cart) and watches it run out.
    with Session(live_app.engine) as db:
        db.exec(update(SeatHold).where(SeatHold.event_id == event_id)
                .values(expires_at=utcnow() + timedelta(seconds=15)))
        db.commit()
    page.locator("#mobile-menu-button").click()
    page.get_by_role("menuitem", name="Cart").click()
    page.wait_for_url("**/panier")
    # The page first shows the cart the client already had, then its on_load brings the new expiry.
    page.wait_for_function(
        "() => (document.getElementById('cart-hold') || {}).textContent?.includes('in a few seconds')")
    expired = page.locator("[data-testid='hold-expired']")
    expired.wait_for(timeout=45_000)  # no reload: the page's expiry watcher re-read the cart
    assert "no longer guaranteed" in expired.inner_text()
    assert page.locator("#cart-hold").count() == 0
    screenshot(page, "holds-cart-expired-en-phone")
    assert counters(live_app, event_id) == (0, 3)  # expired but not yet released: nobody needed the seats

    page.locator(f"#rehold-{offers['solo']}").click()
    page.locator("#cart-hold").wait_for()
    assert "in 15 minutes" in page.locator("#cart-hold").inner_text() \
        or "in 14 minutes" in page.locator("#cart-hold").inner_text()
    assert page.locator("[data-testid='hold-expired']").count() == 0
    page.locator("#go-checkout").click()
    page.wait_for_url("**/paiement")
    page.locator("#checkout-hold").wait_for()
    fill_card(page, GOOD_CARD)
    page.locator("#pay-button").click()
    page.wait_for_url("**/commandes/JO24-*", timeout=20_000)
    assert counters(live_app, event_id) == (3, 0)
