"""Ticket ownership in real headless Chromium: name the holder, transfer by e-mail and accept (FR at phone width,
EN at desktop width), then the gate's fake camera shows the OLD QR (refused: "transferred") and the new one
(admitted, with the new holder's name)."""

from __future__ import annotations

import io
import re
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session, select

from jo_app.models import Role, ScanAttempt, Ticket, User
from jo_app.services.accounts import users
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog import listing as catalog
from jo_app.services.mail import format_price
from jo_app.services.orders import cart, checkout
from jo_app.services.tickets import rotating_qr, transfer_accept, transfers
from jo_app.services.tickets import tokens as ticket_tokens
from jo_app.timeutil import utcnow
from tests.e2e.test_gate_page import (  # noqa: F401  (fixtures: app_settings, camera, camera_browser, phone)
    CAMERA_TIMEOUT,
    CARD,
    app_settings,
    camera,
    camera_browser,
    make_employee,
    open_gate,
    phone,
    restart_camera,
    wait_verdict,
)
from tests.qr_codes import pdf_page_qr_texts, qr_texts

PASSWORD = "Sprint!Paris2024"
LINK = re.compile(r"https?://[^\s]+/billets/transfert/[A-Za-z0-9_-]+")


@pytest.fixture(scope="module")
def duo_offer(live_app) -> int:
    """A duo pack of a session starting in 3 h: gates open (6 h before), holder changes open (until 2 h before)."""
    with Session(live_app.engine) as session:
        event_id = catalog_admin.create_event(session, None, catalog_admin.EventInput(
            title=f"Finale escrime {uuid.uuid4().hex[:6]}", sport="Escrime", venue="Grand Palais",
            starts_at=utcnow() + timedelta(hours=3), capacity=200))
        return catalog_admin.create_offer(session, None, catalog_admin.OfferInput(
            event_id=event_id, title="Duo", offer_type="duo", price_cents=9_000))


def _person(live_app, first: str, last: str, role: Role = Role.VISITOR, lang: str = "fr") -> tuple[str, int]:
    with Session(live_app.engine) as session:
        user = users.create_user(session, email=f"own-{uuid.uuid4().hex[:10]}@example.org", password=PASSWORD,
                                 first_name=first, last_name=last, role=role, verified=True, lang=lang)
        session.commit()
        return user.email, int(user.id)


def _lang_of(live_app, user_id: int) -> str:
    with Session(live_app.engine) as session:
        return str(session.get(User, user_id).lang)


def _buy(live_app, user_id: int, offer_id: int) -> int:
    with Session(live_app.engine) as session:
        cart.add_item(session, user_id, offer_id, 1)
        session.commit()
        return checkout.checkout(session, user_id, CARD, idempotency_key=uuid.uuid4().hex).ticket_ids[0]


def _ticket(live_app, ticket_id: int) -> Ticket:
    with Session(live_app.engine) as session:
        return session.exec(select(Ticket).where(Ticket.id == ticket_id)).one()


def _payload(live_app, ticket_id: int) -> str:
    with Session(live_app.engine) as session:
        ticket = session.exec(select(Ticket).where(Ticket.id == ticket_id)).one()
        payload = ticket_tokens.ensure_payload(session, ticket)
        session.commit()
        return payload


def _log_in(page, email: str) -> None:
    page.locator("#page-shell[data-hydrated=true]").wait_for()
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-submit").click()
    page.wait_for_function("() => !location.pathname.startsWith('/connexion') && "
                           "!location.pathname.startsWith('/auth')")


def _go_to_my_tickets(page, narrow: bool, label: str) -> None:
    page.locator("#page-shell[data-hydrated=true]").wait_for()
    if narrow:
        item = page.get_by_role("menuitem", name=label)
        for _ in range(3):  # the identity (and so the "my tickets" entry) may arrive just after hydration
            page.locator("#mobile-menu-button").click()
            try:
                item.wait_for(timeout=5_000)
                break
            except Exception:
                page.keyboard.press("Escape")
        item.click()
    else:
        page.get_by_role("navigation").get_by_role("link", name=label, exact=True).click()
    page.wait_for_url("**/billets")
    page.locator("[data-testid=ticket-card]").first.wait_for()


CASES = {
    "fr-phone": {"lang": "fr", "viewport": {"width": 390, "height": 844}, "narrow": True, "tickets": "Mes billets",
                 "saved": "Titulaire enregistré.", "holder": "Titulaire : Marie Curie",
                 "sent": "Transfert envoyé", "subject": "vous transfère un billet",
                 "accepted": "Le billet est à vous", "sender_subject": "Billet transféré"},
    "en-desktop": {"lang": "en", "viewport": {"width": 1280, "height": 800}, "narrow": False,
                   "tickets": "My tickets", "saved": "Holder saved.", "holder": "Holder: Marie Curie",
                   "sent": "Transfer sent", "subject": "is sending you a ticket", "accepted": "The ticket is yours",
                   "sender_subject": "Ticket transferred"},
}


@pytest.mark.parametrize("case", list(CASES))
def test_name_the_holder_then_transfer_and_accept(live_app, duo_offer, new_context, screenshot, case) -> None:
    c = CASES[case]
    buyer_email, buyer_id = _person(live_app, "Ada", "Lovelace")
    friend_email, friend_id = _person(live_app, "Grace", "Hopper", lang=c["lang"])  # mails: each one's language
    ticket_id = _buy(live_app, buyer_id, duo_offer)
    old = _ticket(live_app, ticket_id)

    page = new_context(viewport=c["viewport"]).new_page()
    page.goto("/connexion")
    _log_in(page, buyer_email)
    if c["lang"] == "en":  # logged in: the switch also stores the language of the buyer's mails
        page.locator("#page-shell[data-hydrated=true]").wait_for()
        page.locator("#lang-en").click()
        deadline = time.monotonic() + 10
        while _lang_of(live_app, buyer_id) != "en" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _lang_of(live_app, buyer_id) == "en"
    _go_to_my_tickets(page, c["narrow"], c["tickets"])
    card = page.locator(f"[data-ticket-id='{ticket_id}']")

    # Name the holder
    card.locator("[data-testid=holder-edit]").click()
    card.locator(f"#holder-first-{ticket_id}").fill("Marie")
    card.locator(f"#holder-last-{ticket_id}").fill("Curie")
    card.locator("[data-testid=holder-save]").click()
    card.get_by_text(c["saved"]).wait_for()
    card.get_by_text(c["holder"]).wait_for()
    assert _ticket(live_app, ticket_id).holder_name == "Marie Curie"
    screenshot(page, f"ownership-holder-{case}")

    # Transfer it by e-mail
    card.locator("[data-testid=transfer-open]").click()
    card.locator(f"#transfer-email-{ticket_id}").fill(friend_email)
    card.locator("[data-testid=transfer-send]").click()
    card.get_by_text(c["sent"]).wait_for()
    card.locator("[data-testid=transfer-pending]").wait_for()
    assert friend_email in card.locator("[data-testid=transfer-pending]").inner_text()
    screenshot(page, f"ownership-transfer-pending-{case}")
    offer = live_app.smtp.wait_for(friend_email, c["subject"])
    link = LINK.search(offer.get_body(("plain",)).get_content()).group(0)

    # The friend opens the e-mailed link, logs in from the page and accepts
    friend = new_context(viewport=c["viewport"]).new_page()
    friend.goto(link)
    friend.locator("#page-shell[data-hydrated=true]").wait_for()
    if c["lang"] == "en":
        friend.locator("#lang-en").click()
    friend.locator("[data-testid=accept-offer]").wait_for()
    assert "Ada Lovelace" in friend.locator("[data-testid=accept-offer]").inner_text()
    friend.locator("[data-testid=accept-login]").click()
    friend.wait_for_url("**/connexion**")
    _log_in(friend, friend_email)
    friend.wait_for_url("**/billets/transfert/**")
    friend.locator("[data-testid=accept-transfer]").click()
    friend.get_by_text(c["accepted"]).wait_for()
    screenshot(friend, f"ownership-accepted-{case}")
    friend.locator("[data-testid=go-tickets]").click()
    friend.wait_for_url("**/billets")
    friend_card = friend.locator(f"[data-ticket-id='{ticket_id}']")
    friend_card.get_by_text("Grace Hopper").wait_for()

    new = _ticket(live_app, ticket_id)
    assert new.user_id == friend_id and new.qr_id != old.qr_id and new.ticket_key != old.ticket_key
    assert live_app.smtp.wait_for(buyer_email, c["sender_subject"])  # the sender is told too, in their language
    # The former owner no longer has it
    page.reload()
    page.locator("[data-testid=ticket-card]").first.wait_for(state="detached")


GATE_TEXTS = {
    "fr": {"transferred": "BILLET TRANSFÉRÉ", "transferred_detail": "transféré à un autre titulaire",
           "expired": "CAPTURE D'ÉCRAN / CODE EXPIRÉ", "expired_detail": "capture d'écran"},
    "en": {"transferred": "TRANSFERRED", "transferred_detail": "transferred to another holder",
           "expired": "SCREENSHOT / CODE EXPIRED", "expired_detail": "screenshot"},
}


def _gate_in(page, lang: str) -> None:
    """The gate employee switches the language while the camera is running (EN) or keeps French."""
    if lang == "en":
        page.locator("#lang-en").click()
        page.locator("#gate-camera-toggle", has_text="camera").wait_for()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_old_qr_is_refused_as_transferred_at_the_gate(live_app, duo_offer, camera, phone,  # noqa: F811
                                                          screenshot, lang) -> None:
    texts = GATE_TEXTS[lang]
    _buyer_email, buyer_id = _person(live_app, "Ada", "Lovelace")
    friend_email, friend_id = _person(live_app, "Grace", "Hopper")
    ticket_id = _buy(live_app, buyer_id, duo_offer)
    old_payload = _payload(live_app, ticket_id)
    with Session(live_app.engine) as session:
        started = transfers.start_transfer(session, buyer_id, ticket_id, friend_email)
        transfer_accept.accept_transfer(session, friend_id, started.token)
    new_payload = _payload(live_app, ticket_id)
    assert new_payload != old_payload
    with Session(live_app.engine) as session:
        event_id = session.exec(select(Ticket.event_id).where(Ticket.id == ticket_id)).one()

    email, password = make_employee(live_app)
    page = phone()
    camera.show(old_payload)
    open_gate(page, email, password, "Porte Transfert", event_id)
    page.locator("#gate-camera video").wait_for()
    _gate_in(page, lang)
    detail = wait_verdict(page, "TRANSFERRED", CAMERA_TIMEOUT)
    assert page.locator("#gate-verdict-title").inner_text() == texts["transferred"]
    assert texts["transferred_detail"] in detail, detail
    assert page.locator("#gate-verdict-holder").count() == 0  # nobody's name for a void code
    screenshot(page, f"gate-camera-transferred-360-{lang}", full_page=False)
    if lang == "en":  # switching language while running re-labels the verdict and the recent scans at once
        page.locator("#lang-fr").click()
        page.wait_for_function("() => (document.querySelector('#gate-recent [data-verdict=TRANSFERRED]') || {})"
                               ".textContent?.includes('BILLET TRANSFÉRÉ')")
        page.locator("#lang-en").click()
        page.wait_for_function("() => (document.querySelector('#gate-recent [data-verdict=TRANSFERRED]') || {})"
                               ".textContent?.includes('TRANSFERRED') && !document.querySelector("
                               "'#gate-recent [data-verdict=TRANSFERRED]').textContent.includes('BILLET')")

    camera.show(new_payload)
    restart_camera(page)
    wait_verdict(page, "VALID", CAMERA_TIMEOUT)
    assert page.locator("#gate-verdict-holder").inner_text() == "Grace Hopper"
    camera.show(None)
    with Session(live_app.engine) as session:
        verdicts = sorted(s.verdict for s in session.exec(select(ScanAttempt).where(
            ScanAttempt.ticket_id == ticket_id)).all())
    assert "TRANSFERRED" in verdicts and verdicts.count("VALID") == 1


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_live_qr_rotates_is_admitted_and_a_stale_screenshot_is_refused(
        live_app, duo_offer, new_context, camera, phone, screenshot, lang) -> None:  # noqa: F811
    texts = GATE_TEXTS[lang]
    buyer_email, buyer_id = _person(live_app, "Ada", "Lovelace")
    ticket_id = _buy(live_app, buyer_id, duo_offer)
    static = _payload(live_app, ticket_id)
    ticket = _ticket(live_app, ticket_id)

    owner = new_context(viewport={"width": 390, "height": 844}).new_page()
    owner.goto("/connexion")
    _log_in(owner, buyer_email)
    _go_to_my_tickets(owner, True, "Mes billets")
    card = owner.locator(f"[data-ticket-id='{ticket_id}']")
    card.locator("[data-testid=live-qr-note]").wait_for()
    image = card.locator("[data-testid=ticket-qr]")
    owner.wait_for_function("id => { const img = document.querySelector(`[data-ticket-id='${id}'] img`);"
                            " return img && img.complete && img.naturalWidth > 0; }", arg=ticket_id)

    def shown() -> str:
        """What the page shows, read by zxing-cpp from a screenshot of the image element."""
        picture = Image.open(io.BytesIO(image.screenshot()))
        texts = set(qr_texts(picture))  # one symbol may be reported twice
        assert len(texts) == 1, texts  # one code (zxing may report one symbol twice)
        return texts.pop()

    first = shown()
    assert first.startswith(static + ".") and len(first) == len(static) + 9
    screenshot(owner, "ownership-live-qr-390", full_page=False)
    # it rotates: at the next 15 s step the page fetches a new image with a new code
    step = int(time.time() // 15)
    owner.wait_for_function(f"() => Math.floor(Date.now() / 15000) > {step}", timeout=20_000)
    owner.wait_for_function("id => (document.querySelector(`[data-ticket-id='${id}'] img`).getAttribute('src')"
                            " || '').includes('?s=')", arg=ticket_id, timeout=10_000)
    deadline = time.monotonic() + 10
    second = shown()
    while second == first and time.monotonic() < deadline:
        time.sleep(0.5)
        second = shown()
    assert second != first and second.startswith(static + ".")

    # at the gate: a screenshot taken a minute ago is refused, the live code is admitted once
    stale = rotating_qr.live_payload(static, ticket.event_id, ticket.qr_id, utcnow() - timedelta(seconds=60))
    email, password = make_employee(live_app)
    gate = phone()
    camera.show(stale)
    if lang == "en":  # an English-speaking employee: English from the login page on
        gate.goto("/connexion")
        gate.locator("#page-shell[data-hydrated=true]").wait_for()
        gate.locator("#lang-en").click()
        gate.locator("#login-submit", has_text="Log in").wait_for()
    open_gate(gate, email, password, "Porte Live", ticket.event_id)
    gate.locator("#gate-camera video").wait_for()
    detail = wait_verdict(gate, "CODE_EXPIRED", CAMERA_TIMEOUT)
    assert gate.locator("#gate-verdict-title").inner_text() == texts["expired"]
    assert texts["expired_detail"] in detail, detail
    screenshot(gate, f"gate-camera-code-expired-360-{lang}", full_page=False)
    assert _ticket(live_app, ticket_id).status == "valid"
    camera.show(shown())
    restart_camera(gate)
    wait_verdict(gate, "VALID", CAMERA_TIMEOUT)
    camera.show(None)
    assert _ticket(live_app, ticket_id).status == "used"


def _kpi(page, kpi_id: str, expected: str) -> None:
    """Wait (no reload) until the dashboard figure `kpi_id` reads `expected`."""
    page.wait_for_function("([id, t]) => (document.getElementById(id) || {}).textContent === t",
                           arg=[kpi_id, expected], timeout=15_000)


def test_list_a_ticket_and_buy_it_through_the_shop(live_app, new_context, screenshot) -> None:
    """FR phone seller puts a duo on resale; the session is sold out, yet an EN desktop buyer sees 2 seats, puts
    the duo in the cart (the listing is held for them: the shop shows 0 left, the seller cannot withdraw it), buys
    it through the normal checkout and gets THAT ticket, re-keyed; the seller is told by e-mail. An admin's open
    dashboard follows the resale figures live; a static QR refused for the session shows the warning on the buyer's
    ticket page and a notice instead of the QR in the PDF."""
    from jo_app.services.tickets import qr_policy, resale

    with Session(live_app.engine) as session:
        event_id = catalog_admin.create_event(session, None, catalog_admin.EventInput(
            title=f"Finale aviron {uuid.uuid4().hex[:6]}", sport="Aviron", venue="Vaires-sur-Marne",
            starts_at=utcnow() + timedelta(days=3), capacity=2))
        duo = catalog_admin.create_offer(session, None, catalog_admin.OfferInput(
            event_id=event_id, title="Duo", offer_type="duo", price_cents=9_500))
    seller_email, seller_id = _person(live_app, "Ada", "Lovelace")
    buyer_email, buyer_id = _person(live_app, "Grace", "Hopper")
    ticket_id = _buy(live_app, seller_id, duo)  # the session is now sold out
    with Session(live_app.engine) as session:
        resale.set_event_resale(session, seller_id, event_id, enabled=True, fee_bps=500)
    number = _ticket(live_app, ticket_id).number
    with Session(live_app.engine) as session:
        before = resale.figures(session)
    admin_email, admin_id = _person(live_app, "Ada", "Admin", role=Role.ADMIN)
    admin = new_context(viewport={"width": 1280, "height": 800}).new_page()
    admin.goto("/connexion")
    _log_in(admin, admin_email)  # staff land on the dashboard
    admin.wait_for_url(re.compile(r".*/admin/?$"))
    _kpi(admin, "kpi-resale-listed", str(before["listed"]))

    seller = new_context(viewport={"width": 390, "height": 844}).new_page()
    seller.goto("/connexion")
    _log_in(seller, seller_email)
    _go_to_my_tickets(seller, True, "Mes billets")
    card = seller.locator(f"[data-ticket-id='{ticket_id}']")
    card.locator("[data-testid=resale-list]").click()
    card.get_by_text("Billet mis en revente.").wait_for()
    assert "95,00" in card.locator("[data-testid=resale-listed]").inner_text()
    screenshot(seller, "ownership-resale-listed-390")
    _kpi(admin, "kpi-resale-listed", str(before["listed"] + 1))  # pushed live to the open dashboard

    buyer = new_context(viewport={"width": 1280, "height": 800}).new_page()
    buyer.goto("/connexion")
    buyer.locator("#lang-en").click()
    _log_in(buyer, buyer_email)
    buyer.locator("#page-shell[data-hydrated=true]").wait_for()
    buyer.get_by_role("navigation").get_by_role("link", name="Tickets", exact=True).click()
    buyer.locator(f"[data-event-id='{event_id}']").wait_for()
    assert buyer.locator(f"#seats-left-{event_id}").inner_text() == "2"  # sold out, but a duo is on resale
    buyer.locator(f"[data-event-id='{event_id}'] a").first.click()
    buyer.wait_for_url(f"**/billetterie/{event_id}")
    buyer.locator(f"#add-{duo}").click()
    buyer.locator(f"#added-{duo}").wait_for()
    buyer.get_by_role("navigation").locator("a[href='/panier']").first.click()
    buyer.wait_for_url("**/panier")
    buyer.locator("#cart-hold [data-testid=hold-left]").wait_for()  # the listed duo is held for this buyer
    assert buyer.locator("[data-testid=hold-expired]").count() == 0
    with Session(live_app.engine) as session:
        assert catalog.published_seats_left(session)[event_id] == 0  # held: on sale to nobody else
    card.locator("[data-testid=resale-withdraw]").click()  # the seller cannot take it back while it is held
    card.get_by_text("Un acheteur a ce billet dans son panier").wait_for()
    buyer.locator("#go-checkout").click()
    buyer.wait_for_url("**/paiement")
    buyer.locator("#card-holder").fill("Grace Hopper")
    buyer.locator("#card-number").fill("4242 4242 4242 4242")
    buyer.locator("#card-expiry").fill("12/34")
    buyer.locator("#card-cvc").fill("123")
    buyer.locator("#pay-button").click()
    buyer.wait_for_url(re.compile(r".*/commandes/JO24-[A-Z0-9]{4}-[A-Z0-9]{4}$"), timeout=30_000)
    bought = buyer.locator(f"[data-ticket-id='{ticket_id}']")
    bought.wait_for()
    assert number in bought.inner_text() and "Grace Hopper" in bought.inner_text()
    screenshot(buyer, "ownership-resale-bought-1280")

    ticket = _ticket(live_app, ticket_id)
    assert ticket.user_id == buyer_id
    notice = live_app.smtp.wait_for(seller_email, "revendu")
    assert "90,25" in notice.get_body(("plain",)).get_content()  # 95 € minus the 5 % fee
    seller.reload()
    seller.locator("#tickets-none").wait_for()
    with Session(live_app.engine) as session:
        after = resale.figures(session)
    assert after["sold"] == before["sold"] + 1 and after["fees_cents"] == before["fees_cents"] + 475
    _kpi(admin, "kpi-resale-sold", str(after["sold"]))
    _kpi(admin, "kpi-resale-listed", str(after["listed"]))
    _kpi(admin, "kpi-resale-fees", format_price(after["fees_cents"], "fr"))
    _kpi(admin, "kpi-resale-refunded", format_price(after["resold_cents"] - after["fees_cents"], "fr"))
    screenshot(admin, "admin-dashboard-resale-1280")

    # The admin refuses printed QRs for this session: the buyer's ticket page and PDF say to use the live QR.
    with Session(live_app.engine) as session:
        qr_policy.set_static_qr(session, admin_id, event_id, False)
    buyer.get_by_role("navigation").get_by_role("link", name="My tickets", exact=True).click()
    buyer.wait_for_url("**/billets")
    mine = buyer.locator(f"[data-ticket-id='{ticket_id}']")
    mine.locator("[data-testid=static-off-note]").wait_for()
    assert "printed QR code (PDF) is not accepted" in mine.locator("[data-testid=static-off-note]").inner_text()
    with buyer.expect_download() as download:
        mine.locator("[data-testid=ticket-pdf]").click()
    pdf = download.value.path()
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                                   text=True).stdout.split())
    assert "NO PRINTED QR CODE FOR THIS SESSION" in text, text
    assert pdf_page_qr_texts(Path(pdf)) == []  # no code the gate would refuse
