"""Shop end to end on the real app: catalogue filters, cart, declined then accepted payment, tickets and their files,
live seats on other open pages, one order per attempt, ownership of orders and ticket files, screenshots.

Visitors are signed in with a real server-side session (`services.accounts.sessions.create_session`) whose token is put
in the HttpOnly `jo_session` cookie, exactly what the login hand-off route does: the login page has its own tests.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func
from sqlmodel import Session, select

from jo_app.models import CartItem, Event, Order, Ticket
from jo_app.services.accounts import sessions
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.services.tickets import tokens as ticket_tokens
from jo_app.timeutil import utcnow
from tests.qr_codes import pdf_page_qr_texts, qr_texts

GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
LIVE_DEADLINE_MS = 1000


# ------------------------------------------------------------------ helpers

def sign_in(context, live_app, user_id: int) -> None:
    with Session(live_app.engine) as db:
        token = sessions.create_session(db, user_id, client_ip="127.0.0.1", user_agent="e2e")
    context.add_cookies([{"name": "jo_session", "value": token, "url": live_app.url, "httpOnly": True,
                          "sameSite": "Lax"}])


def make_event(live_app, *, capacity: int, title: str) -> tuple[int, dict[str, int]]:
    """A fresh published event (so tests do not share seats) with its three packs: (event id, type -> offer id)."""
    with Session(live_app.engine) as db:
        event_id = catalog_admin.create_event(db, None, EventInput(
            title=title, sport="Athlétisme", venue="Stade de France", city="Saint-Denis",
            starts_at=(utcnow() + timedelta(days=30)).replace(microsecond=0), capacity=capacity,
            description="Session de test.", image="/sports/athletisme.svg"))
        offers = {kind: catalog_admin.create_offer(db, None, OfferInput(
            event_id=event_id, title=kind.capitalize(), offer_type=kind, price_cents=price))
            for kind, price in (("solo", 5000), ("duo", 9500), ("family", 18000))}
    return event_id, offers


def seats_sold(live_app, event_id: int) -> int:
    with Session(live_app.engine) as db:
        return db.get(Event, event_id).seats_sold


def order_count(live_app, user_id: int) -> int:
    with Session(live_app.engine) as db:
        return db.exec(select(func.count()).select_from(Order).where(Order.user_id == user_id)).one()


def cart_quantities(live_app, user_id: int) -> int:
    from jo_app.models import Cart

    with Session(live_app.engine) as db:
        return db.exec(select(func.coalesce(func.sum(CartItem.quantity), 0))
                       .join(Cart, Cart.id == CartItem.cart_id).where(Cart.user_id == user_id)).one()


def add_pack(page, offer_id: int, quantity: int = 1) -> None:
    page.locator(f"#add-{offer_id}").wait_for()
    if quantity != 1:
        page.select_option(f"#qty-{offer_id}", str(quantity))
    page.locator(f"#add-{offer_id}").click()
    page.locator(f"#added-{offer_id}").wait_for()


def fill_card(page, number: str) -> None:
    page.locator("#card-holder").fill("Camille Durand")
    page.locator("#card-number").fill(number)
    page.locator("#card-expiry").fill("12/34")
    page.locator("#card-cvc").fill("123")


def wait_seats(page, event_id: int, value: int, timeout: float = 10_000) -> None:
    page.wait_for_function(
        "([id, v]) => { const el = document.getElementById('seats-left-' + id); "
        "return el !== null && el.textContent.trim() === String(v); }",
        arg=[event_id, value], timeout=timeout)


def assert_fits(page, width: int, path: str) -> None:
    """The page content (`<main>`, the shop's part; the navbar belongs to the layout) needs no horizontal scroll."""
    widest = page.evaluate("() => { const main = document.querySelector('main'); let right = 0; "
                           "main.querySelectorAll('*').forEach(e => { right = Math.max(right, "
                           "e.getBoundingClientRect().right); }); return Math.max(right, main.scrollWidth); }")
    assert widest <= width + 1, f"{path}: content {widest}px wide at {width}px"


def decode_qr(png: Path) -> str:
    with Image.open(png) as image:
        texts = qr_texts(image)
    assert texts, f"no QR code found in {png}"
    return texts[0]


# ------------------------------------------------------------------ tests

def test_catalogue_cart_declined_then_paid_tickets_and_files(new_context, live_app, make_visitor, smtp, screenshot,
                                                             tmp_path):
    email, _password, user_id = make_visitor()
    event_id, offers = make_event(live_app, capacity=50, title="Finale test achat complet")
    context = new_context()
    sign_in(context, live_app, user_id)
    page = context.new_page()

    # Catalogue: filter by pack type and sport, then text search finds our session.
    page.goto("/billetterie")
    page.locator("[data-testid=event-card]").first.wait_for()
    page.select_option("#filter-type", "family")
    page.select_option("#filter-sport", "Athlétisme")
    page.locator("#filter-text").fill("achat complet")
    page.locator("#filter-search").click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=event-card]').length === 1")
    card = page.locator("[data-testid=event-card]")
    assert card.get_attribute("data-event-id") == str(event_id)
    assert page.locator(f"#seats-left-{event_id}").inner_text() == "50"
    screenshot(page, "shop-catalogue-filtered")
    card.locator("a").first.click()
    page.wait_for_url(f"**/billetterie/{event_id}")

    # Session page: a duo and a family pack (6 persons).
    add_pack(page, offers["duo"])
    add_pack(page, offers["family"])
    page.wait_for_function("() => document.querySelector('[data-testid=cart-count]')?.textContent.trim() === '2'")
    page.goto("/panier")
    page.locator("[data-testid=cart-line]").nth(1).wait_for()
    assert page.locator("[data-testid=cart-line]").count() == 2
    assert "275,00" in page.locator("#cart-total").inner_text()

    # Declined card: clear message; seats, cart and orders unchanged.
    page.goto("/paiement")
    fill_card(page, DECLINED_CARD)
    page.locator("#pay-button").click()
    error = page.locator("#payment-error")
    error.wait_for()
    assert "refus" in error.inner_text().lower()
    screenshot(page, "shop-checkout-declined")
    assert seats_sold(live_app, event_id) == 0
    assert cart_quantities(live_app, user_id) == 2
    assert order_count(live_app, user_id) == 0

    # Good card: confirmation page, order in the database, seats taken, cart emptied.
    fill_card(page, GOOD_CARD)
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/commandes/JO24-[A-Z0-9]{4}-[A-Z0-9]{4}$"), timeout=20_000)
    reference = page.locator("#order-reference").inner_text().strip()
    assert page.url.endswith(reference)
    page.locator("#order-confirmed").wait_for()
    assert seats_sold(live_app, event_id) == 6
    assert cart_quantities(live_app, user_id) == 0
    assert order_count(live_app, user_id) == 1

    # The confirmation mail carries one PDF per ticket.
    message = smtp.wait_for(email, reference)
    pdf_names = [part.get_filename() for part in message.iter_attachments()
                 if part.get_content_type() == "application/pdf"]
    assert len(pdf_names) == 2

    # My tickets: two cards, persons, valid, QR image served by the authorised route.
    page.goto("/billets")
    tickets = page.locator("[data-testid=ticket-card]")
    tickets.nth(1).wait_for()
    assert tickets.count() == 2
    persons = sorted(t.inner_text() for t in page.locator("[data-testid=ticket-persons]").all())
    assert any("2 personne" in p for p in persons) and any("4 personne" in p for p in persons)
    assert page.locator("[data-testid=ticket-card][data-status=valid]").count() == 2
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=ticket-qr]')]"
                           ".every(img => img.complete && img.naturalWidth >= 250)")
    screenshot(page, "shop-tickets")

    ticket_id = int(tickets.first.get_attribute("data-ticket-id"))
    pdf_href = tickets.first.locator("[data-testid=ticket-pdf]").get_attribute("href")
    assert pdf_href == f"/billets/{ticket_id}/ticket.pdf"
    response = context.request.get(pdf_href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "no-store" in response.headers["cache-control"]
    pdf = tmp_path / "ticket.pdf"
    pdf.write_bytes(response.body())
    printed = pdf_page_qr_texts(pdf)
    assert printed, "no QR code on the PDF"
    payload = printed[0]
    qr = context.request.get(f"/billets/{ticket_id}/qr.png")
    assert qr.status == 200 and qr.headers["content-type"] == "image/png"
    (tmp_path / "qr.png").write_bytes(qr.body())
    assert decode_qr(tmp_path / "qr.png") == payload
    with Session(live_app.engine) as db:
        claims = ticket_tokens.verify(db, payload)
        ticket = db.get(Ticket, ticket_id)
        assert claims.ticket_id == ticket_id and ticket.qr_payload == payload and ticket.user_id == user_id
    ics = context.request.get(f"/billets/{ticket_id}/event.ics")
    assert ics.status == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in ics.text() and "Finale test achat complet" in ics.text()

    page.goto("/commandes")
    page.locator("[data-testid=order-link]", has_text=reference).wait_for()


def test_other_pages_see_new_seats_left_and_sold_out_within_one_second(new_context, live_app, make_visitor):
    event_id, offers = make_event(live_app, capacity=6, title="Finale test direct")
    _email, _password, buyer_id = make_visitor()
    buyer = new_context()
    sign_in(buyer, live_app, buyer_id)
    watcher_session = new_context().new_page()  # anonymous visitor on the session page
    watcher_catalogue = new_context().new_page()  # another one on the catalogue
    watcher_session.goto(f"/billetterie/{event_id}")
    watcher_catalogue.goto("/billetterie")
    for watcher in (watcher_session, watcher_catalogue):
        wait_seats(watcher, event_id, 6)
        watcher.evaluate("() => { window.__noReload = 'still here'; }")

    page = buyer.new_page()
    page.goto(f"/billetterie/{event_id}")
    add_pack(page, offers["duo"])
    page.goto("/paiement")
    fill_card(page, GOOD_CARD)
    page.locator("#pay-button").click()
    page.wait_for_url("**/commandes/JO24-*", timeout=20_000)
    started = time.monotonic()
    for watcher in (watcher_session, watcher_catalogue):
        wait_seats(watcher, event_id, 4, timeout=LIVE_DEADLINE_MS)
    assert time.monotonic() - started < LIVE_DEADLINE_MS / 1000 + 0.2

    # Second purchase sells out: both pages switch to the sold-out state, still without reload.
    page.goto(f"/billetterie/{event_id}")
    add_pack(page, offers["family"])
    page.goto("/paiement")
    fill_card(page, GOOD_CARD)
    page.locator("#pay-button").click()
    page.wait_for_url("**/commandes/JO24-*", timeout=20_000)
    for watcher in (watcher_session, watcher_catalogue):
        watcher.locator(f"#sold-out-{event_id}").wait_for(timeout=LIVE_DEADLINE_MS)
        wait_seats(watcher, event_id, 0, timeout=LIVE_DEADLINE_MS)
        assert watcher.evaluate("() => window.__noReload") == "still here"
    assert watcher_session.locator(f"#add-{offers['solo']}").count() == 0
    assert seats_sold(live_app, event_id) == 6


def test_double_click_and_resubmit_make_exactly_one_order(new_context, live_app, make_visitor):
    event_id, offers = make_event(live_app, capacity=40, title="Finale test double clic")
    _email, _password, user_id = make_visitor()
    context = new_context()
    sign_in(context, live_app, user_id)
    page = context.new_page()
    page.goto(f"/billetterie/{event_id}")
    add_pack(page, offers["solo"], quantity=2)
    page.goto("/paiement")
    fill_card(page, GOOD_CARD)
    # A double click, then two more submits in the same tick (before the button can be disabled).
    page.locator("#pay-button").dblclick()
    page.evaluate("() => { const f = document.getElementById('payment-form'); if (f) { f.requestSubmit(); "
                  "f.requestSubmit(); } }")
    page.wait_for_url("**/commandes/JO24-*", timeout=20_000)
    page.go_back()  # back on the checkout page: nothing left to pay
    page.locator("#checkout-empty").wait_for()
    time.sleep(1)
    assert order_count(live_app, user_id) == 1
    assert seats_sold(live_app, event_id) == 2
    with Session(live_app.engine) as db:
        assert db.exec(select(func.count()).select_from(Ticket).where(Ticket.user_id == user_id)).one() == 2


def test_ownership_of_orders_and_ticket_files(new_context, live_app, make_visitor):
    event_id, offers = make_event(live_app, capacity=20, title="Finale test propriété")
    _email, _password, owner_id = make_visitor()
    owner = new_context()
    sign_in(owner, live_app, owner_id)
    page = owner.new_page()
    page.goto(f"/billetterie/{event_id}")
    add_pack(page, offers["solo"])
    page.goto("/paiement")
    fill_card(page, GOOD_CARD)
    page.locator("#pay-button").click()
    page.wait_for_url("**/commandes/JO24-*", timeout=20_000)
    reference = page.url.rstrip("/").rsplit("/", 1)[-1]
    with Session(live_app.engine) as db:
        ticket_id = db.exec(select(Ticket.id).where(Ticket.user_id == owner_id)).one()
    files = [f"/billets/{ticket_id}/{name}" for name in ("ticket.pdf", "qr.png", "event.ics")]
    for url in files:
        assert owner.request.get(url).status == 200

    _email2, _password2, intruder_id = make_visitor()
    intruder = new_context()
    sign_in(intruder, live_app, intruder_id)
    for url in files:
        response = intruder.request.get(url)
        assert response.status == 404, url
        assert "no-store" in response.headers.get("cache-control", "")
    assert intruder.request.get("/billets/999999999/ticket.pdf").status == 404
    anonymous = new_context()
    for url in files:
        assert anonymous.request.get(url, max_redirects=0).status == 401

    other = intruder.new_page()
    other.goto(f"/commandes/{reference}")
    other.locator("#order-not-found").wait_for()
    assert reference not in other.locator("main").inner_text().replace("/commandes/", "")
    other.goto("/billets")
    other.locator("#tickets-none").wait_for()


@pytest.mark.parametrize("width", [1280, 360])
def test_screenshots_of_the_shop_pages(new_context, live_app, make_visitor, screenshot, width):
    event_id, offers = make_event(live_app, capacity=30, title=f"Finale test captures {width}")
    _email, _password, user_id = make_visitor()
    context = new_context(viewport={"width": width, "height": 800})
    sign_in(context, live_app, user_id)
    page = context.new_page()
    shots = [("/", "#home-upcoming"), ("/billetterie", "[data-testid=event-card]"),
             (f"/billetterie/{event_id}", f"#add-{offers['duo']}")]
    for path, ready in shots:
        page.goto(path)
        page.locator(ready).first.wait_for()
        name = {"/": "home", "/billetterie": "catalogue"}.get(path, "session")
        screenshot(page, f"shop-{name}-{width}")
        assert_fits(page, width, path)
    add_pack(page, offers["duo"])
    page.goto("/panier")
    page.locator("[data-testid=cart-line]").wait_for()
    screenshot(page, f"shop-cart-{width}")
    page.goto("/paiement")
    page.locator("#pay-button").wait_for()
    screenshot(page, f"shop-checkout-{width}")
    fill_card(page, GOOD_CARD)
    page.locator("#pay-button").click()
    page.wait_for_url("**/commandes/JO24-*", timeout=20_000)
    page.locator("#order-confirmed").wait_for()
    screenshot(page, f"shop-order-{width}")
    page.goto("/billets")
    page.locator("[data-testid=ticket-card]").first.wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=ticket-qr]')]"
                           ".every(img => img.complete && img.naturalWidth > 0 && img.width >= 240)")
    screenshot(page, f"shop-tickets-{width}")
    for path in ("/", "/panier", "/paiement", "/billets"):
        page.goto(path)
        page.locator("#page-title").first.wait_for()
        assert_fits(page, width, path)


def test_keyboard_and_english(new_context, live_app, make_visitor):
    """Links, pickers and buttons work from the keyboard; the shop switches to English without a reload."""
    event_id, offers = make_event(live_app, capacity=30, title="Finale test clavier")
    _email, _password, user_id = make_visitor()
    context = new_context()
    sign_in(context, live_app, user_id)
    page = context.new_page()
    page.goto("/billetterie")
    card_link = page.locator(f"[data-event-id='{event_id}'] a").first
    card_link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/billetterie/{event_id}")
    page.locator(f"#qty-{offers['duo']}").focus()
    page.keyboard.press("ArrowDown")  # 1 -> 2 in the native select
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == f"add-{offers['duo']}"
    page.keyboard.press("Enter")
    page.locator(f"#added-{offers['duo']}").wait_for()
    assert cart_quantities(live_app, user_id) == 2

    page.evaluate("() => { window.__noReload = 1; }")
    page.locator("#lang-en").click()
    page.get_by_text("seats left").first.wait_for()
    page.get_by_role("button", name="Add to cart").first.wait_for()
    assert page.evaluate("() => window.__noReload") == 1
    page.goto("/paiement")
    fill_card(page, DECLINED_CARD)
    page.locator("#pay-button").click()
    page.locator("#payment-error").wait_for()
    assert "Nothing was bought" in page.locator("#payment-error").inner_text()
    page.locator("#lang-fr").click()
    page.wait_for_function("() => document.getElementById('payment-error').textContent.includes('Aucun achat')")
