"""Issue 13 acceptance: the whole journey in ONE browser (desktop 1366x850), clicking what people click.

A visitor signs up (the code comes from the loopback SMTP server), verifies, shops a session starting within the
hour, pays (a declined card first), downloads the PDF ticket and the .ics by clicking the buttons (PDF checked
with pdftotext, its QR read with pdftoppm + zxing-cpp; the .ics parsed with icalendar) and logs out. An employee
logs in, opens the gate from the menu; the fake camera shows the QR printed on that PDF: VALID. An admin logs in
and sees the admission on the dashboard.

After verification the app either logs the visitor in or sends them to the login page: both are accepted.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import icalendar
from sqlmodel import Session, select

from jo_app.models import Event, Role, Ticket, TicketStatus
from jo_app.services import stats
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.tickets import tokens as ticket_tokens
from jo_app.timeutil import utcnow
from tests.e2e import test_gate_page as gate_page
from tests.e2e.clicks import DESKTOP, explain_failure, nav, open_site, pdf_qr, pdf_text, save_download
from tests.e2e.test_account_journey import PASSWORD, mail_code
from tests.e2e.test_gate_page import CAMERA_TIMEOUT, make_employee, wait_verdict
from tests.e2e.test_shop import DECLINED_CARD, GOOD_CARD, add_pack, fill_card

app_settings, camera, camera_browser = gate_page.app_settings, gate_page.camera, gate_page.camera_browser


def journey_event(live_app) -> tuple[int, int, str]:
    """A published session starting in 50 minutes (its gates are open) with a duo pack: (event, duo offer, title)."""
    title = f"Finale parcours {uuid.uuid4().hex[:6]}"
    with Session(live_app.engine) as db:
        event_id = catalog_admin.create_event(db, None, catalog_admin.EventInput(
            title=title, sport="Judo", venue="Arena Champ-de-Mars",
            starts_at=(utcnow() + timedelta(minutes=50)).replace(microsecond=0),
            capacity=100))
        duo = catalog_admin.create_offer(db, None, catalog_admin.OfferInput(
            event_id=event_id, title="Duo", offer_type="duo", price_cents=9_000))
        catalog_admin.set_event_published(db, None, event_id, True)  # whatever the default for new sessions is
    return event_id, duo, title


def log_in_here(page, email: str, password: str) -> None:
    """From any page of this tab: the navbar's "Connexion", the form, then the authenticated navbar."""
    if "/connexion" not in page.url:
        nav(page, "Connexion")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    page.locator("#logout-button").wait_for()


def log_out(page) -> None:
    page.locator("#logout-button").click()
    page.locator("header nav").get_by_role("link", name="Connexion", exact=True).wait_for()


def test_sign_up_shop_pay_download_scan_and_see_it(camera_browser, camera, live_app, smtp, tmp_path,
                                                   screenshot) -> None:
    event_id, duo, title = journey_event(live_app)
    address = f"parcours-{uuid.uuid4().hex[:8]}@example.org"
    context = camera_browser.new_context(viewport=DESKTOP, base_url=live_app.url, permissions=["camera"],
                                         accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        # Sign up from the login page's link, verify with the mailed code.
        open_site(page)
        nav(page, "Connexion")
        page.get_by_role("link", name="Créer un compte", exact=True).click()
        page.locator("#f-first_name").fill("Inès")
        page.locator("#f-last_name").fill("Martin")
        page.locator("#f-email").fill(address)
        page.locator("#f-password").fill(PASSWORD)
        page.locator("#f-consent").check()
        page.locator("#register-submit").click()
        page.wait_for_url(re.compile(r".*/verification"))
        page.locator("#f-code").fill(mail_code(smtp, address, "code"))
        page.locator("#verify-submit").click()
        page.wait_for_function("() => !location.pathname.startsWith('/verification')")
        page.locator("#page-shell[data-hydrated=true]").wait_for()
        if page.locator("#logout-button").count() == 0:  # not logged in by the verification: log in
            log_in_here(page, address, PASSWORD)

        # Shop: the catalogue, the session, a duo pack, the cart, a declined card, then a good one.
        nav(page, "Billetterie")
        page.locator("[data-testid=event-card]").filter(has_text=title).locator("a").first.click()
        page.wait_for_url(f"**/billetterie/{event_id}")
        add_pack(page, duo)
        page.locator("#go-cart").click()
        page.locator("[data-testid=cart-line]").first.wait_for()
        page.locator("#go-checkout").click()
        fill_card(page, DECLINED_CARD)
        page.locator("#pay-button").click()
        assert "refus" in page.locator("#payment-error").inner_text().lower()
        fill_card(page, GOOD_CARD)
        page.locator("#pay-button").click()
        page.wait_for_url(re.compile(r".*/commandes/JO24-[A-Z0-9]{4}-[A-Z0-9]{4}$"))
        page.locator("#order-confirmed").wait_for()
        screenshot(page, "journey-order-confirmed-1366")

        # The files, by clicking the buttons on the confirmation page.
        card = page.locator("[data-testid=ticket-card]").first
        card.wait_for()
        ticket_id = int(card.get_attribute("data-ticket-id"))
        with Session(live_app.engine) as db:
            ticket = db.get(Ticket, ticket_id)
            event = db.get(Event, event_id)
        assert ticket.event_id == event_id and ticket.persons == 2
        pdf, _ = save_download(page, card.locator("[data-testid=ticket-pdf]"), tmp_path)
        text = pdf_text(pdf)
        assert ticket.number in text and "Inès Martin" in text, text[:400]
        printed_qr = pdf_qr(pdf)
        with Session(live_app.engine) as db:
            assert ticket_tokens.verify(db, printed_qr).ticket_id == ticket_id
        ics, _ = save_download(page, card.locator("[data-testid=ticket-ics]"), tmp_path)
        [vevent] = icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
        assert title in str(vevent["SUMMARY"])
        assert vevent.decoded("DTSTART").replace(tzinfo=None) == event.starts_at
        log_out(page)

        # The employee, same tab: the gate from the menu, the QR printed on that PDF in front of the camera.
        employee_email, employee_password = make_employee(live_app)
        camera.show(printed_qr)
        log_in_here(page, employee_email, employee_password)
        nav(page, "Contrôle des billets")
        page.locator("#gate-name").fill("Porte Parcours")
        page.locator("#gate-event").select_option(str(event_id))
        page.locator("#gate-start").click()
        page.locator("#gate-camera video").wait_for()
        assert "2" in wait_verdict(page, "VALID", CAMERA_TIMEOUT)
        camera.show(None)
        with Session(live_app.engine) as db:
            used = db.get(Ticket, ticket_id)
            assert used.status == TicketStatus.USED.value and used.used_gate == "Porte Parcours"
        page.locator("#gate-verdict").click()
        page.locator("#gate-verdict").wait_for(state="detached")
        log_out(page)

        # The admin sees the admission on the dashboard (its figures and the admissions chart).
        admin_email, admin_password = make_employee(live_app, Role.ADMIN)
        log_in_here(page, admin_email, admin_password)
        nav(page, "Administration")
        page.locator("#kpi-admissions").wait_for()
        with Session(live_app.engine) as db:
            admitted = stats.kpis(db)["persons_admitted"]
            assert db.exec(select(Ticket.status).where(Ticket.id == ticket_id)).one() == "used"
        assert admitted >= 2
        page.wait_for_function("n => document.querySelector('#kpi-admissions').textContent.trim() === String(n)",
                               arg=admitted)
        page.locator("#chart-admissions .recharts-cartesian-axis-tick-value").first.wait_for()
        ticks = page.locator("#chart-admissions .recharts-cartesian-axis-tick-value").evaluate_all(
            "els => els.map(e => e.textContent || '')")
        assert any(t.strip() and title.startswith(t.rstrip("…").strip()) for t in ticks), ticks
        screenshot(page, "journey-admin-dashboard-1366")
    except Exception as exc:
        raise AssertionError(f"{exc}\n{explain_failure(page, 'journey-failed')}") from exc
    finally:
        camera.show(None)
        context.close()
