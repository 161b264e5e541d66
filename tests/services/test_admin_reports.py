"""Admin reports: audit log search, user search, anomaly detection and CSV exports (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from jo_app.models import AuditLog, LoginAttempt, OrderItem, Role, ScanAttempt, TicketStatus, UserSession
from jo_app.services import admin_exports, admin_reports, audit
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_order, make_ticket, make_user


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_audit_filters_and_pagination(session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    admin.email = "boss@example.test"
    other = make_user(session)
    now = utcnow()
    for i in range(7):
        audit.record(session, "event.created", actor_id=admin.id, target_type="event", target_id=i, n=i)
    audit.record(session, "login.failed", actor_id=other.id, client_ip="10.0.0.9", email=other.email)
    audit.record(session, "login.succeeded", actor_id=other.id)
    old = audit.record(session, "order.cancelled", actor_id=admin.id, reference="JO-OLD")
    old.created_at = now - timedelta(days=10)
    session.commit()

    everything = admin_reports.query_audit(session, per_page=4)
    assert everything.total == 10 and everything.pages == 3 and len(everything.entries) == 4
    assert everything.entries[0].created_at >= everything.entries[-1].created_at  # newest first
    last = admin_reports.query_audit(session, per_page=4, page=99)  # clamped to the last page
    assert last.page == 3 and len(last.entries) == 2
    assert last.entries[-1].action == "order.cancelled" and last.entries[-1].details == {"reference": "JO-OLD"}

    by_email = admin_reports.query_audit(session, actor="BOSS@")
    assert by_email.total == 8 and {e.actor_email for e in by_email.entries} == {"boss@example.test"}
    by_id = admin_reports.query_audit(session, actor=str(other.id))
    assert {e.action for e in by_id.entries} == {"login.failed", "login.succeeded"}
    assert admin_reports.query_audit(session, action="login.").total == 2
    exact = admin_reports.query_audit(session, action="login.failed")
    assert exact.total == 1 and exact.entries[0].client_ip == "10.0.0.9"
    assert admin_reports.query_audit(session, action="login").total == 0  # no prefix without the dot
    assert admin_reports.query_audit(session, action="%").total == 0  # LIKE wildcards are literal
    recent = admin_reports.query_audit(session, date_from=date.today() - timedelta(days=1))
    assert recent.total == 9
    past = admin_reports.query_audit(session, date_to=(now - timedelta(days=5)).date())
    assert [e.action for e in past.entries] == ["order.cancelled"]
    assert admin_reports.audit_actions(session) == ["event.created", "login.failed", "login.succeeded",
                                                    "order.cancelled"]


def test_search_users(session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN, first_name="Alice", last_name="Martin")
    visitor = make_user(session, first_name="Bruno", last_name="Le_Gall")
    make_user(session, role=Role.EMPLOYEE, first_name="Chloe", is_locked=True)
    session.add(UserSession(user_id=visitor.id, token_hash="h1", expires_at=utcnow() + timedelta(days=1)))
    session.add(UserSession(user_id=visitor.id, token_hash="h2", expires_at=utcnow() - timedelta(days=1)))
    session.add(UserSession(user_id=visitor.id, token_hash="h3", expires_at=utcnow() + timedelta(days=1),
                            revoked_at=utcnow()))
    session.commit()

    assert len(admin_reports.search_users(session)) == 3
    found = admin_reports.search_users(session, "bruno")
    assert [u["id"] for u in found] == [visitor.id]
    assert found[0]["active_sessions"] == 1 and found[0]["role"] == "visitor"
    assert [u["id"] for u in admin_reports.search_users(session, "le_gall")] == [visitor.id]
    assert [u["id"] for u in admin_reports.search_users(session, "_")] == [visitor.id]  # literal underscore
    assert [u["id"] for u in admin_reports.search_users(session, role="admin")] == [admin.id]
    locked = admin_reports.search_users(session, role=Role.EMPLOYEE)
    assert locked[0]["is_locked"] is True
    assert admin_reports.search_users(session, admin.email.upper())[0]["first_name"] == "Alice"


def test_failed_login_bursts(session: Session) -> None:
    now = utcnow()
    # 6 failures for one address within 6 minutes, from two IPs; 4 spread over an hour for another.
    for i in range(6):
        session.add(LoginAttempt(email="target@example.test", client_ip=f"203.0.113.{i % 2}", succeeded=False,
                                 created_at=now - timedelta(minutes=i)))
    for i in range(4):
        session.add(LoginAttempt(email="slow@example.test", client_ip="198.51.100.7", succeeded=False,
                                 created_at=now - timedelta(minutes=20 * i)))
    # One IP spraying many accounts: 5 different e-mails in 2 minutes.
    for i in range(5):
        session.add(LoginAttempt(email=f"spray{i}@example.test", client_ip="192.0.2.66", succeeded=False,
                                 created_at=now - timedelta(seconds=20 * i)))
    for _ in range(8):  # successes never count
        session.add(LoginAttempt(email="ok@example.test", client_ip="192.0.2.1", succeeded=True, created_at=now))
    # Old burst, outside the look-back period.
    for i in range(9):
        session.add(LoginAttempt(email="old@example.test", client_ip="192.0.2.99", succeeded=False,
                                 created_at=now - timedelta(days=30, minutes=i)))
    session.commit()

    bursts = admin_reports.failed_login_bursts(session)
    assert [(b["email"], b["count"]) for b in bursts["by_email"]] == [("target@example.test", 6)]
    assert bursts["by_email"][0]["first_at"] == now - timedelta(minutes=5)
    assert bursts["by_email"][0]["last_at"] == now
    assert [(b["client_ip"], b["count"]) for b in bursts["by_ip"]] == [("192.0.2.66", 5)]
    wide = admin_reports.failed_login_bursts(session, window=timedelta(hours=2), threshold=4)
    assert {b["email"] for b in wide["by_email"]} == {"target@example.test", "slow@example.test"}
    assert {b["client_ip"] for b in wide["by_ip"]} == {"192.0.2.66", "198.51.100.7"}
    everything = admin_reports.failed_login_bursts(session, since=now - timedelta(days=60))
    assert ("old@example.test", 9) in [(b["email"], b["count"]) for b in everything["by_email"]]


def _scans(session: Session) -> dict:
    now = utcnow()
    employee = make_user(session, role=Role.EMPLOYEE)
    buyer = make_user(session)
    event = make_event(session, title="Judo", capacity=50)
    offer = make_offer(session, event, offer_type="duo")
    order = make_order(session, buyer)
    copied = make_ticket(session, order, offer, buyer, index=1)
    normal = make_ticket(session, order, offer, buyer, index=2)

    def scan(gate: str, verdict: str, minutes_ago: float, ticket=None) -> None:
        session.add(ScanAttempt(created_at=now - timedelta(minutes=minutes_ago), gate=gate, verdict=verdict,
                                employee_id=employee.id, ticket_id=ticket.id if ticket else None,
                                event_id=event.id if ticket else None))

    for i in range(6):  # 6 forged codes in 3 minutes at gate North
        scan("North", "INVALID", i * 0.5)
    for i in range(3):  # 3 at South over an hour: not a burst
        scan("South", "INVALID", i * 30)
    for i in range(6):  # unknown tickets are a different verdict
        scan("East", "UNKNOWN_TICKET", i * 0.1)
    scan("North", "VALID", 10, copied)
    scan("South", "ALREADY_USED", 8, copied)
    scan("East", "ALREADY_USED", 7, copied)
    scan("North", "VALID", 6, normal)
    scan("North", "ALREADY_USED", 5, normal)  # same gate twice: no anomaly
    session.commit()
    return {"copied": copied, "normal": normal, "event": event}


def test_scan_anomalies(session: Session) -> None:
    data = _scans(session)
    bursts = admin_reports.invalid_scan_bursts(session)
    assert [(b["gate"], b["count"], b["total"]) for b in bursts] == [("North", 6, 6)]
    multi = admin_reports.tickets_at_several_gates(session)
    assert len(multi) == 1
    assert multi[0]["ticket_id"] == data["copied"].id and multi[0]["ticket_number"] == data["copied"].number
    assert multi[0]["gates"] == ["East", "North", "South"] and multi[0]["attempts"] == 3
    assert multi[0]["verdicts"] == ["ALREADY_USED", "VALID"]
    everything = admin_reports.detect_anomalies(session)
    assert set(everything) == {"failed_logins_by_email", "failed_logins_by_ip", "invalid_scan_bursts",
                               "multi_gate_tickets"}
    assert everything["multi_gate_tickets"] == multi and everything["invalid_scan_bursts"] == bursts
    assert admin_reports.detect_anomalies(session, since=utcnow() + timedelta(minutes=1))["multi_gate_tickets"] == []


def test_sales_csv(session: Session) -> None:
    now = utcnow()
    event = make_event(session, title="=HYPERLINK(\"http://evil\")", starts_at=now + timedelta(days=3))
    other = make_event(session, title="Rowing, final", starts_at=now + timedelta(days=4))
    solo = make_offer(session, event, offer_type="solo", price_cents=2550)
    family = make_offer(session, other, offer_type="family", price_cents=12000)
    buyer = make_user(session)
    first = make_order(session, buyer, total_cents=2550 * 2 + 12000)
    first.paid_at = now - timedelta(hours=2)
    session.add(OrderItem(order_id=first.id, offer_id=solo.id, event_id=event.id, offer_type="solo",
                          offer_title="Solo", persons=1, quantity=2, unit_price_cents=2550))
    session.add(OrderItem(order_id=first.id, offer_id=family.id, event_id=other.id, offer_type="family",
                          offer_title="Family", persons=4, quantity=1, unit_price_cents=12000))
    cancelled = make_order(session, buyer, total_cents=2550, status="cancelled")
    session.add(OrderItem(order_id=cancelled.id, offer_id=solo.id, event_id=event.id, offer_type="solo",
                          offer_title="Solo", persons=1, quantity=1, unit_price_cents=2550))
    pending = make_order(session, buyer, total_cents=2550, status="pending")
    session.add(OrderItem(order_id=pending.id, offer_id=solo.id, event_id=event.id, offer_type="solo",
                          offer_title="Solo", persons=1, quantity=1, unit_price_cents=2550))
    session.commit()

    text = admin_exports.sales_csv(session)
    assert text.splitlines()[0] == ",".join(admin_exports.SALES_HEADER)
    rows = _rows(text)
    assert [(r["order_reference"], r["offer_type"], r["quantity"], r["persons"], r["amount_eur"], r["status"])
            for r in rows] == [
        (first.reference, "solo", "2", "2", "51.00", "paid"),
        (first.reference, "family", "1", "4", "120.00", "paid"),
        (cancelled.reference, "solo", "1", "1", "25.50", "cancelled"),
    ]
    assert rows[0]["email"] == buyer.email
    assert rows[0]["event"] == "'=HYPERLINK(\"http://evil\")"  # neutralised formula
    assert rows[1]["event"] == "Rowing, final"  # quoted by the csv module, read back intact
    assert rows[0]["paid_at"] == first.paid_at.strftime("%Y-%m-%d %H:%M:%S")
    # The French spreadsheet layout (dashboard download): BOM, `;`, decimal comma, Paris times labelled.
    french = admin_exports.sales_csv(session, layout=admin_exports.SPREADSHEET_FR)
    assert french.startswith("\ufeff") and french.encode("utf-8").startswith(b"\xef\xbb\xbf")
    header, first_line = french[1:].splitlines()[:2]
    assert header.split(";")[:2] == ["order_reference", "paid_at_paris"]
    fr_rows = list(csv.DictReader(io.StringIO(french[1:]), delimiter=";"))
    assert [r["amount_eur"] for r in fr_rows] == ["51,00", "120,00", "25,50"]
    paris = first.paid_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo("Europe/Paris"))
    assert fr_rows[0]["paid_at_paris"] == paris.strftime("%Y-%m-%d %H:%M:%S") != rows[0]["paid_at"]
    assert fr_rows[1]["event"] == "Rowing, final" and first_line.count(";") == len(admin_exports.SALES_HEADER) - 1
    english = admin_exports.sales_csv(session, layout=admin_exports.SPREADSHEET_EN)
    assert english.startswith("\ufeff") and english[1:].splitlines()[0].split(",")[1] == "paid_at_paris"
    only_paid = _rows(admin_exports.sales_csv(session, include_cancelled=False))
    assert {r["status"] for r in only_paid} == {"paid"}
    assert [r["offer_type"] for r in _rows(admin_exports.sales_csv(session, event_id=other.id))] == ["family"]


def test_admissions_csv(session: Session) -> None:
    now = utcnow()
    employee = make_user(session, role=Role.EMPLOYEE)
    buyer = make_user(session)
    event = make_event(session, title="Fencing")
    offer = make_offer(session, event, offer_type="duo")
    order = make_order(session, buyer)
    used_late = make_ticket(session, order, offer, buyer, index=1, status=TicketStatus.USED.value,
                            used_at=now - timedelta(minutes=1), used_gate="Gate B", used_by_id=employee.id)
    used_early = make_ticket(session, order, offer, buyer, index=2, status=TicketStatus.USED.value,
                             used_at=now - timedelta(minutes=9), used_gate="Gate A", used_by_id=employee.id)
    make_ticket(session, order, offer, buyer, index=3)  # valid: not admitted
    make_ticket(session, order, offer, buyer, index=4, status=TicketStatus.CANCELLED.value)
    session.commit()

    rows = _rows(admin_exports.admissions_csv(session))
    assert [r["ticket_number"] for r in rows] == [used_early.number, used_late.number]
    assert rows[0] == {"ticket_number": used_early.number, "event": "Fencing",
                       "event_starts_at": event.starts_at.strftime("%Y-%m-%d %H:%M:%S"), "persons": "2",
                       "used_at": used_early.used_at.strftime("%Y-%m-%d %H:%M:%S"), "gate": "Gate A",
                       "employee": employee.email}
    assert admin_exports.admissions_csv(session, event_id=event.id + 999).splitlines() == [
        ",".join(admin_exports.ADMISSIONS_HEADER)]


def test_audit_details_survive_odd_json(session: Session) -> None:
    session.add(AuditLog(action="weird", details="not json"))
    session.add(AuditLog(action="list", details="[1, 2]"))
    session.commit()
    details = {e.action: e.details for e in admin_reports.query_audit(session).entries}
    assert details == {"weird": {"raw": "not json"}, "list": {"value": [1, 2]}}
