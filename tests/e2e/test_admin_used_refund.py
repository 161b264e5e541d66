"""Issue 13 item 5: an order with a ticket already used at the gate is not cancelled and refunded by default. The
admin (desktop, 1366 px) clicks "Annuler et rembourser": refused with a clear message, nothing changes; with the
override box ticked and a reason, the order is cancelled, the used ticket refunded too, and the audit log says so.
"""

from __future__ import annotations

import json

from sqlmodel import Session, select

from jo_app.models import AuditLog, Order, Role, Ticket, TicketStatus
from jo_app.timeutil import utcnow
from tests.e2e.clicks import DESKTOP, explain_failure, login_by_clicks, nav
from tests.e2e.test_ticket_downloads import app_settings, buy_duo  # noqa: F401 - fixture: signs like the app


def test_used_ticket_order_needs_an_override_with_a_reason(new_context, live_app, make_visitor) -> None:
    _email, _password, buyer_id = make_visitor()
    reference, ticket = buy_duo(live_app, buyer_id)
    with Session(live_app.engine) as db:  # the holder went through the gate
        row = db.get(Ticket, ticket.id)
        row.status, row.used_at, row.used_gate = TicketStatus.USED.value, utcnow(), "Porte B"
        db.add(row)
        db.commit()
    admin_email, admin_password, admin_id = make_visitor(role=Role.ADMIN)

    page = new_context(viewport=DESKTOP).new_page()
    login_by_clicks(page, admin_email, admin_password)
    nav(page, "Administration")
    page.locator("#admin-nav-orders").click()
    page.locator("#orders-q").fill(reference)
    page.locator("#orders-search").click()
    page.locator(f"#order-row-{reference}").get_by_text(reference, exact=True).click()
    page.locator("#order-detail").wait_for()

    page.locator("#order-cancel").click()
    page.locator("#cancel-used-warning").wait_for()
    page.locator("#cancel-reason").fill("Demande du client")
    page.locator("#order-confirm-cancel").click()
    error = page.locator("#admin-error")
    error.wait_for()
    assert "Annulation refusée" in error.inner_text() and "utilisés" in error.inner_text()
    with Session(live_app.engine) as db:
        assert db.exec(select(Order.status).where(Order.reference == reference)).one() == "paid"
        assert db.get(Ticket, ticket.id).status == TicketStatus.USED.value

    # The override, then a reason: done, audited.
    page.locator("#order-cancel").click()
    page.locator("#cancel-override-used").check()
    page.locator("#cancel-reason").fill("Session interrompue par l'orage")
    page.locator("#order-confirm-cancel").click()
    try:
        page.locator("#admin-message").wait_for()
    except Exception as exc:
        raise AssertionError(explain_failure(page, "admin-used-refund-failed")) from exc
    with Session(live_app.engine) as db:
        assert db.exec(select(Order.status).where(Order.reference == reference)).one() == "cancelled"
        assert db.get(Ticket, ticket.id).status == TicketStatus.USED.value  # the entry happened
        entry = db.exec(select(AuditLog).where(AuditLog.action == "order.used_tickets_refunded",
                                               AuditLog.actor_id == admin_id)).one()
    details = json.loads(entry.details)
    assert details["reference"] == reference and details["reason"] == "Session interrompue par l'orage"
    assert details["tickets_used"] == 1 and details["refund_cents"] == 9_000
