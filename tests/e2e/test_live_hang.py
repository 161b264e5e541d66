"""Issue 12 hang: an admin whose tab came from the catalogue (so it had joined the live stock) cancels an order or
unpublishes an event; afterwards every visitor checkout must still complete and "Ajouter au panier" must still work.

Everything is clicked as a person does it: the admin reaches the back office through the navbar and its tabs from
a catalogue page, the visitors go from the catalogue card to the session page, the cart and the payment page.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

from sqlmodel import Session, select

from jo_app.models import Event, Order, Role
from jo_app.services.accounts import sessions
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.services.orders import cart, checkout
from jo_app.services.payment import PaymentCard
from jo_app.timeutil import utcnow

CARD = PaymentCard("4242424242424242", 12, utcnow().year + 2, "123", "Ada Lovelace")


def _event(live_app, title: str, capacity: int = 50) -> tuple[int, int]:
    with Session(live_app.engine) as db:
        event_id = catalog_admin.create_event(db, None, EventInput(
            title=title, sport="Aviron", venue="Vaires-sur-Marne", starts_at=(utcnow() + timedelta(days=9)).replace(
                microsecond=0), capacity=capacity, image="/sports/athletisme.svg"))
        offer_id = catalog_admin.create_offer(db, None, OfferInput(event_id=event_id, title="Solo", offer_type="solo",
                                                                   price_cents=3000))
    return event_id, offer_id


def _sign_in(context, live_app, user_id: int) -> None:
    with Session(live_app.engine) as db:
        token = sessions.create_session(db, user_id, client_ip="127.0.0.1", user_agent="e2e")
    context.add_cookies([{"name": "jo_session", "value": token, "url": live_app.url, "httpOnly": True,
                          "sameSite": "Lax"}])


def _admin_from_catalogue(new_context, make_visitor, login):
    """An admin tab that browsed the catalogue first, then entered the back office through the navbar."""
    email, password, _ = make_visitor(role=Role.ADMIN)
    page = new_context().new_page()
    login(page, email, password)
    page.locator("nav a[href='/billetterie']").first.click()
    page.locator("[data-testid=event-card]").first.wait_for()
    page.locator("[data-testid=seats-left]").first.wait_for()
    page.locator("#nav-admin").first.click()
    page.locator("#admin-content").wait_for()
    return page


def _visitor_buys(new_context, live_app, make_visitor, event_id: int, offer_id: int) -> None:
    """A visitor clicks the card, adds a pack, goes to the cart, then pays: the order page must show up."""
    _email, _password, user_id = make_visitor()
    context = new_context()
    _sign_in(context, live_app, user_id)
    page = context.new_page()
    page.goto("/billetterie")
    page.locator(f"[data-testid=event-card][data-event-id='{event_id}'] a").first.click()
    page.locator(f"#add-{offer_id}").click()
    page.locator(f"#added-{offer_id}").wait_for(timeout=10_000)  # "Ajouter au panier" answered
    page.locator("#go-cart").click()
    page.locator("#go-checkout").click()
    page.locator("#card-holder").fill("Camille Durand")
    page.locator("#card-number").fill("4242 4242 4242 4242")
    page.locator("#card-expiry").fill("12/34")
    page.locator("#card-cvc").fill("123")
    page.locator("#pay-button").click()
    page.wait_for_url("**/commandes/JO24-*", timeout=15_000)
    with Session(live_app.engine) as db:
        assert db.exec(select(Order.status).where(Order.user_id == user_id)).all() == ["paid"]


def test_admin_cancel_from_a_tab_that_came_from_the_catalogue_does_not_stop_sales(new_context, live_app,
                                                                                  make_visitor, login):
    event_id, offer_id = _event(live_app, f"Aviron — annulation {int(time.time())}")
    _e, _p, buyer = make_visitor()
    with Session(live_app.engine) as db:
        cart.add_item(db, buyer, offer_id, 2)
        reference = checkout.checkout(db, buyer, CARD, idempotency_key=f"hang-{time.monotonic_ns()}").reference

    watcher = new_context().new_page()  # an anonymous catalogue page that must keep following the stock
    watcher.goto("/billetterie")
    watcher.locator(f"#seats-left-{event_id}").wait_for()

    admin = _admin_from_catalogue(new_context, make_visitor, login)
    admin.locator("#admin-nav-orders").click()
    admin.locator("#orders-q").fill(reference)
    admin.locator("#orders-search").click()
    admin.get_by_text(reference, exact=True).click()
    admin.locator("#order-cancel").click()
    admin.locator("#cancel-reason").fill("Demande du client")
    admin.locator("#order-confirm-cancel").click()
    admin.locator("#admin-message").wait_for(timeout=10_000)  # the admin screen answers
    with Session(live_app.engine) as db:
        assert db.exec(select(Order.status).where(Order.reference == reference)).one() == "cancelled"
        assert db.get(Event, event_id).seats_sold == 0
    watcher.wait_for_function("id => document.getElementById('seats-left-' + id).textContent.trim() === '50'",
                              arg=event_id, timeout=5_000)

    _visitor_buys(new_context, live_app, make_visitor, event_id, offer_id)
    watcher.wait_for_function("id => document.getElementById('seats-left-' + id).textContent.trim() === '49'",
                              arg=event_id, timeout=5_000)
    # The admin tab itself still works: the dashboard tab loads its figures.
    admin.locator("#admin-nav-dashboard").click()
    admin.locator("#kpi-revenue").wait_for(timeout=10_000)


def test_admin_unpublish_from_a_tab_that_came_from_the_catalogue_does_not_stop_add_to_cart(new_context, live_app,
                                                                                          make_visitor, login):
    kept_id, kept_offer = _event(live_app, f"Aviron — gardé {int(time.time())}")
    gone_id, _gone_offer = _event(live_app, f"Aviron — dépublié {int(time.time())}")
    watcher = new_context().new_page()
    watcher.goto("/billetterie")
    watcher.locator(f"[data-testid=event-card][data-event-id='{gone_id}']").wait_for()

    admin = _admin_from_catalogue(new_context, make_visitor, login)
    admin.locator("#admin-nav-catalog").click()
    admin.locator(f"#event-unpublish-{gone_id}").click()
    admin.locator("#admin-message").wait_for(timeout=10_000)
    admin.locator(f"#event-publish-{gone_id}").wait_for(timeout=10_000)
    watcher.locator(f"[data-testid=event-card][data-event-id='{gone_id}']").wait_for(state="detached",
                                                                                      timeout=10_000)

    # Anonymous: "Ajouter au panier" answers (it sends to the login page).
    anonymous = new_context().new_page()
    anonymous.goto("/billetterie")
    anonymous.locator(f"[data-testid=event-card][data-event-id='{kept_id}'] a").first.click()
    anonymous.locator(f"#add-{kept_offer}").click()
    anonymous.wait_for_url(re.compile(r".*/connexion\?next=/billetterie/\d+$"), timeout=10_000)
    # Logged in: the whole purchase goes through.
    _visitor_buys(new_context, live_app, make_visitor, kept_id, kept_offer)
