"""Issue 13 item 8, clicked at phone width (390x844): the cart in the header, folded shop filters, the card expiry
typed as digits ("1229" -> 12/29) next to an aligned CVC box, and admin tables that scroll inside their box with
the first column pinned. Each check stands alone (its own visitor), so each fails on its own defect."""

from __future__ import annotations

import re
import uuid

from sqlmodel import Session

from jo_app.models import Role
from jo_app.services.orders import cart
from tests.e2e.clicks_helpers import (
    PHONE,
    buy,
    find_event_in_catalogue,
    hydrated,
    login_via_menu,
    make_event,
    open_home,
)

PAGE_FITS = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def _phone(new_context):
    return new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()


def _menu(page, name: str) -> None:
    page.locator("#mobile-menu-button").click()
    page.get_by_role("menuitem", name=name).first.click()


def test_phone_header_shows_the_cart_and_its_count(new_context, live_app, make_visitor):
    email, password, _user_id = make_visitor()
    title = f"Panier mobile {uuid.uuid4().hex[:6]}"
    _event_id, offers = make_event(live_app, title=title)
    page = _phone(new_context)
    open_home(page)
    # The cart is in the header itself, without opening the menu.
    assert page.locator("#header-cart-mobile").is_visible()
    assert box(page, "#header-cart-mobile")["y"] < 80
    login_via_menu(page, email, password, phone=True)
    find_event_in_catalogue(page, title, phone=True)
    page.locator(f"#add-{offers['solo']}").click()
    page.locator(f"#added-{offers['solo']}").wait_for()
    page.locator("#header-cart-mobile [data-testid=cart-count]").filter(has_text="1").wait_for()
    page.locator("#header-cart-mobile").click()
    page.wait_for_url(re.compile(r".*/panier/?$"))


def test_phone_catalogue_filters_are_folded_behind_a_button(new_context, screenshot):
    page = _phone(new_context)
    open_home(page)
    _menu(page, "Billetterie")
    page.wait_for_url(re.compile(r".*/billetterie/?$"))
    hydrated(page)
    page.locator("[data-testid=event-card]").first.wait_for()
    # The filter menus are folded, so the first result is on the first screen; the button unfolds them.
    assert not page.locator("#filter-type").is_visible()
    assert box(page, "[data-testid=event-card]")["y"] < PHONE["height"]
    assert page.evaluate(PAGE_FITS)
    toggle = page.locator("#filters-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    page.locator("#filter-type").wait_for(state="visible")
    assert toggle.get_attribute("aria-expanded") == "true"
    page.select_option("#filter-type", "duo")
    toggle.locator("text=1").wait_for()  # the folded button shows how many filters are set
    screenshot(page, "phone-catalogue-filters-open")


def test_phone_card_expiry_digits_and_aligned_cvc(new_context, live_app, make_visitor, screenshot):
    email, password, user_id = make_visitor()
    _event_id, offers = make_event(live_app, title=f"Carte mobile {uuid.uuid4().hex[:6]}")
    with Session(live_app.engine) as db:
        cart.add_item(db, user_id, offers["solo"], 1)
    page = _phone(new_context)
    open_home(page)
    login_via_menu(page, email, password, phone=True)
    _menu(page, "Panier")
    page.wait_for_url(re.compile(r".*/panier/?$"))
    hydrated(page)
    page.locator("#go-checkout").click()
    page.wait_for_url(re.compile(r".*/paiement/?$"))
    hydrated(page)

    # Card: "1229" typed on the numeric keypad becomes 12/29; the expiry and CVC boxes line up.
    page.locator("#card-holder").fill("Camille Durand")
    page.locator("#card-number").fill("4242 4242 4242 4242")
    page.locator("#card-expiry").fill("1229")
    page.locator("#card-cvc").click()
    page.wait_for_function("() => document.getElementById('card-expiry').value === '12/29'")
    page.locator("#card-cvc").fill("123")
    expiry, cvc = box(page, "#card-expiry"), box(page, "#card-cvc")
    assert abs(expiry["y"] - cvc["y"]) < 1 and abs(expiry["height"] - cvc["height"]) < 1
    assert expiry["x"] + expiry["width"] <= cvc["x"] and cvc["x"] + cvc["width"] <= PHONE["width"]
    assert page.locator("#card-expiry-error").count() == 0 or not page.locator("#card-expiry-error").inner_text()
    screenshot(page, "phone-checkout-card")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/commandes/JO24-[A-Z0-9]{4}-[A-Z0-9]{4}$"), timeout=30_000)


def test_phone_admin_tables_scroll_in_their_box_with_the_first_column_pinned(new_context, live_app, make_visitor,
                                                                            screenshot):
    email, password, _ = make_visitor(role=Role.ADMIN)
    _buyer_email, _pw, buyer_id = make_visitor()
    _event_id, offers = make_event(live_app, title=f"Table mobile {uuid.uuid4().hex[:6]}")
    buy(live_app, buyer_id, offers["duo"])
    page = _phone(new_context)
    open_home(page, "en")
    login_via_menu(page, email, password, phone=True)
    _menu(page, "Admin")
    page.wait_for_url(re.compile(r".*/admin/?$"))
    for nav, table in (("#admin-nav-users", "#users-table"), ("#admin-nav-orders", "#orders-results"),
                       ("#admin-nav-catalog", "#events-table")):
        page.locator(nav).click()
        page.locator(f"{table} tbody tr").first.wait_for()
        assert page.evaluate(PAGE_FITS), f"{nav}: the page scrolls sideways"
        scroller = page.locator(f"{table} .rt-ScrollAreaViewport").first  # Radix puts the table in a scroll area
        assert scroller.evaluate("el => el.scrollWidth > el.clientWidth"), f"{table} does not scroll"
        first = scroller.locator("tbody tr").first.locator("td, th").first
        second = scroller.locator("tbody tr").first.locator("td, th").nth(1)
        before, second_before = first.bounding_box(), second.bounding_box()
        scroller.evaluate("el => { el.scrollLeft = 300; }")
        page.wait_for_timeout(100)
        after, second_after = first.bounding_box(), second.bounding_box()
        assert abs(after["x"] - before["x"]) < 1, f"{table}: the first column scrolled away"
        assert second_after["x"] < second_before["x"] - 50, f"{table}: the other columns did not scroll"
        screenshot(page, f"phone-admin-{table[1:]}")
