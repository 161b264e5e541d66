"""Issue 13 item 3: at the gate, the employee types the ticket number printed on the ticket / PDF (or the order
reference), sees the holder's name and the ticket, confirms, and the ticket is admitted exactly once. A number that
matches nothing is "unknown", never "forged". Phone width (390 px), gate reached through the phone menu.
"""

from __future__ import annotations

from sqlmodel import Session, select

from jo_app.models import AuditLog, Order, Ticket, TicketStatus
from tests.e2e import test_gate_page as gate_page
from tests.e2e.clicks import PHONE, login_by_clicks, nav
from tests.e2e.test_gate_page import buy, make_employee, manual, wait_overlay_gone, wait_verdict

app_settings, gate_events = gate_page.app_settings, gate_page.gate_events  # fixtures of the gate tests


def test_printed_ticket_number_then_order_reference(live_app, gate_events, new_context, screenshot) -> None:
    solo = buy(live_app, gate_events["main_solo"])
    duo = buy(live_app, gate_events["main_duo"])
    email, password = make_employee(live_app)
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    login_by_clicks(page, email, password)
    nav(page, "Contrôle des billets")
    page.locator("#gate-name").fill("Porte Saisie")
    page.locator("#gate-event").select_option(str(gate_events["main"]))
    page.locator("#gate-start").click()
    page.locator("#gate-current-gate").wait_for()

    # The number printed on the ticket, typed as read (lower case, a stray space): holder shown, nobody admitted.
    manual(page, " " + solo.number.lower())
    candidate = page.locator("[data-testid=manual-candidate]")
    candidate.wait_for()
    assert candidate.count() == 1
    assert page.locator("[data-testid=manual-holder]").inner_text() == "Léa Moreau"
    assert solo.number in candidate.inner_text() and "Valide" in candidate.inner_text()
    screenshot(page, "gate-manual-number-confirm-390", full_page=False)
    with Session(live_app.engine) as db:
        assert db.get(Ticket, solo.ticket_id).status == TicketStatus.VALID.value
    page.locator("[data-testid=manual-admit]").click()
    assert "1" in wait_verdict(page, "VALID")
    assert page.locator("#gate-verdict-holder").inner_text() == "Léa Moreau"
    wait_overlay_gone(page)
    with Session(live_app.engine) as db:
        row = db.get(Ticket, solo.ticket_id)
        assert row.status == TicketStatus.USED.value and row.used_gate == "Porte Saisie"

    # The same number again: listed as already used; admitting it is refused (exactly once).
    manual(page, solo.number)
    candidate.wait_for()
    assert "Déjà utilisé" in candidate.inner_text()
    page.locator("[data-testid=manual-admit]").click()
    wait_verdict(page, "ALREADY_USED")
    wait_overlay_gone(page)

    # A number that exists nowhere: unknown, not forged.
    manual(page, "TZZZZZZZZ-01")
    detail = wait_verdict(page, "UNKNOWN_TICKET")
    assert "falsifi" not in detail.lower() and "numéro" in detail
    assert page.locator("#gate-verdict-title").inner_text() == "INCONNU"
    wait_overlay_gone(page)

    # The order reference lists that order's ticket for this session; "Annuler" admits nobody.
    with Session(live_app.engine) as db:
        reference = db.exec(select(Order.reference).join(Ticket, Ticket.order_id == Order.id)
                            .where(Ticket.id == duo.ticket_id)).one()
    manual(page, reference)
    candidate.wait_for()
    assert candidate.count() == 1 and duo.number in candidate.inner_text()
    page.locator("#gate-manual-cancel").click()
    candidate.wait_for(state="detached")
    with Session(live_app.engine) as db:
        assert db.get(Ticket, duo.ticket_id).status == TicketStatus.VALID.value
        actions = db.exec(select(AuditLog.action).where(AuditLog.action.startswith("gate.manual_"),
                                                        AuditLog.details.contains('"Porte Saisie"'))).all()
    assert actions.count("gate.manual_admit") == 2 and actions.count("gate.manual_miss") >= 1
    assert actions.count("gate.manual_lookup") >= 3
