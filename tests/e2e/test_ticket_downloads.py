"""Issue 13 item 1: "Télécharger le PDF" and "Ajouter au calendrier", clicked on "Mes billets" (desktop) and on the
order page (phone menu), download the real files from the server route (with the session cookie), not the app's
404 page. The PDF is checked with pdftotext and its printed QR with pdftoppm + zxing-cpp; the .ics with icalendar.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import icalendar
from sqlmodel import Session

from jo_app.models import Ticket
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.services.orders import cart, checkout
from jo_app.services.tickets import tokens as ticket_tokens
from jo_app.timeutil import utcnow
from tests.e2e.clicks import DESKTOP, PHONE, login_by_clicks, nav, pdf_qr, pdf_text, save_download
from tests.e2e.test_gate_page import CARD, app_settings  # noqa: F401 - autouse: this process signs like the app


def buy_duo(live_app, user_id: int) -> tuple[str, Ticket]:
    """A fresh session in 30 days; `user_id` buys one duo pack through the services. (reference, ticket)."""
    with Session(live_app.engine) as db:
        event_id = catalog_admin.create_event(db, None, EventInput(
            title=f"Finale téléchargement {uuid.uuid4().hex[:6]}", sport="Escrime", venue="Grand Palais",
            city="Paris", starts_at=(utcnow() + timedelta(days=30)).replace(microsecond=0), capacity=40))
        offer_id = catalog_admin.create_offer(db, None, OfferInput(event_id=event_id, title="Duo", offer_type="duo",
                                                                   price_cents=9_000))
        cart.add_item(db, user_id, offer_id, 1)
        db.commit()
        result = checkout.checkout(db, user_id, CARD, idempotency_key=uuid.uuid4().hex)
        ticket = db.get(Ticket, result.ticket_ids[0])
        db.expunge(ticket)
        return result.reference, ticket


WORDS = {"fr": ("Titulaire", "Formule : Duo (2 personnes)"), "en": ("Holder", "Pack: Duo (2 persons)")}


def check_files(live_app, page, card, ticket: Ticket, folder, lang: str = "fr") -> None:
    """Both files download, in the language the visitor chose on the site (`jo_lang` cookie)."""
    pdf, pdf_url = save_download(page, card.locator("[data-testid=ticket-pdf]"), folder)
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert ticket.number in text and "Camille Durand" in text, text[:500]
    assert WORDS[lang][0] in text and WORDS["en" if lang == "fr" else "fr"][0] not in text
    with Session(live_app.engine) as db:
        claims = ticket_tokens.verify(db, pdf_qr(pdf))
    assert claims.ticket_id == ticket.id and claims.persons == 2

    ics, ics_url = save_download(page, card.locator("[data-testid=ticket-ics]"), folder)
    calendar = icalendar.Calendar.from_ical(ics.read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    assert "Finale téléchargement" in str(events[0]["SUMMARY"])
    assert WORDS[lang][1] in str(events[0]["DESCRIPTION"])
    assert events[0].decoded("DTSTART").replace(tzinfo=None) == ticket_start(live_app, ticket)
    # The browser itself asked the server for both files (the router did not swallow the clicks).
    assert pdf_url == f"{live_app.url}/billets/{ticket.id}/ticket.pdf"
    assert ics_url == f"{live_app.url}/billets/{ticket.id}/event.ics"
    assert "404" not in page.locator("body").inner_text()


def ticket_start(live_app, ticket: Ticket):
    from jo_app.models import Event

    with Session(live_app.engine) as db:
        return db.get(Event, ticket.event_id).starts_at


def test_download_buttons_on_my_tickets_desktop(new_context, live_app, make_visitor, tmp_path) -> None:
    email, password, user_id = make_visitor()
    _reference, ticket = buy_duo(live_app, user_id)
    page = new_context(viewport=DESKTOP, accept_downloads=True).new_page()
    login_by_clicks(page, email, password)
    nav(page, "Mes billets")
    card = page.locator(f"[data-testid=ticket-card][data-ticket-id='{ticket.id}']")
    card.wait_for()
    check_files(live_app, page, card, ticket, tmp_path)
    (tmp_path / "en").mkdir()
    page.locator("#lang-en").click()  # the same files, now in English
    page.locator("#page-title").filter(has_text="My tickets").wait_for()
    check_files(live_app, page, card, ticket, tmp_path / "en", lang="en")


def test_download_buttons_on_order_page_phone(new_context, live_app, make_visitor, tmp_path) -> None:
    email, password, user_id = make_visitor()
    reference, ticket = buy_duo(live_app, user_id)
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True, accept_downloads=True).new_page()
    login_by_clicks(page, email, password)
    nav(page, "Mes commandes")
    page.locator("[data-testid=order-link]", has_text=reference).click()
    page.locator("#order-reference").wait_for(state="attached")
    card = page.locator(f"[data-testid=ticket-card][data-ticket-id='{ticket.id}']")
    card.wait_for()
    check_files(live_app, page, card, ticket, tmp_path)
