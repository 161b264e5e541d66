"""Gate validation: every verdict, the audit trail, and exactly-once admission under concurrency (PostgreSQL)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jo_app.models import AuditLog, Event, Role, ScanAttempt, ScanVerdict, Ticket, TicketStatus, User
from jo_app.services.errors import PermissionDeniedError, ValidationError
from jo_app.services.gate.admission import validate_scan
from jo_app.services.gate.reports import admission_counts, recent_scans, revocations_since
from jo_app.services.tickets import signing
from jo_app.services.tickets.tokens import encode_ticket, ensure_payload
from tests.factories import make_event, make_offer, make_order, make_ticket, make_user

STARTS = datetime(2024, 8, 4, 18, 0)
NOW = STARTS - timedelta(hours=1)


@pytest.fixture(autouse=True)
def _fresh_cache():
    signing.clear_cache()
    yield
    signing.clear_cache()


@dataclass
class World:
    employee: User
    visitor: User
    event: Event
    other_event: Event
    tickets: list[Ticket]
    payloads: list[str]


def build_world(session: Session, count: int = 3) -> World:
    employee = make_user(session, role=Role.EMPLOYEE, first_name="Gate", last_name="Keeper")
    visitor = make_user(session, first_name="Ada", last_name="Lovelace")
    event = make_event(session, starts_at=STARTS, title="Basketball - Final")
    other = make_event(session, starts_at=STARTS, title="Handball - Final")
    offer = make_offer(session, event, offer_type="family")
    order = make_order(session, visitor)
    tickets = [make_ticket(session, order, offer, visitor, index=i + 1) for i in range(count)]
    payloads = [ensure_payload(session, t) for t in tickets]
    session.commit()
    return World(employee, visitor, event, other, tickets, payloads)


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def _scan(session: Session, world: World, payload: str, **kwargs):
    kwargs.setdefault("employee_id", world.employee.id)
    kwargs.setdefault("gate", "Gate A")
    kwargs.setdefault("now", NOW)
    return validate_scan(session, payload, **kwargs)


def _attempts(session: Session) -> list[tuple]:
    return session.execute(select(ScanAttempt.ticket_id, ScanAttempt.verdict, ScanAttempt.gate,
                                  ScanAttempt.employee_id).order_by(ScanAttempt.id)).all()


def _ticket(session: Session, ticket_id: int) -> Ticket:
    session.expire_all()
    return session.get(Ticket, ticket_id)


def test_valid_then_already_used(session: Session, world: World) -> None:
    ticket = world.tickets[0]
    first = _scan(session, world, world.payloads[0], event_id=world.event.id)
    assert first.verdict == ScanVerdict.VALID and first.admitted
    assert (first.persons, first.ticket_id, first.ticket_number) == (4, ticket.id, ticket.number)
    assert first.holder_name == "Ada Lovelace" and first.event_title == "Basketball - Final"
    assert first.message == "Admit 4 persons."
    stored = _ticket(session, ticket.id)
    assert (stored.status, stored.used_at, stored.used_gate, stored.used_by_id) == (
        "used", NOW, "Gate A", world.employee.id)

    later = NOW + timedelta(minutes=3)
    second = _scan(session, world, world.payloads[0], gate="  Gate B ", now=later)
    assert second.verdict == ScanVerdict.ALREADY_USED and not second.admitted
    assert second.used_at == NOW and second.used_gate == "Gate A"
    assert "Gate A" in second.message and "04/08/2024 19:00" in second.message  # Paris local time
    assert _ticket(session, ticket.id).used_at == NOW
    assert _attempts(session) == [(ticket.id, "VALID", "Gate A", world.employee.id),
                                  (ticket.id, "ALREADY_USED", "Gate B", world.employee.id)]
    audits = session.execute(select(AuditLog).where(AuditLog.action == "gate.scan").order_by(AuditLog.id)).scalars()
    assert [(a.actor_id, a.target_id, '"VALID"' in a.details) for a in audits] == [
        (world.employee.id, str(ticket.id), True), (world.employee.id, str(ticket.id), False)]


def test_cancelled_ticket(session: Session, world: World) -> None:
    ticket = world.tickets[1]
    ticket.status = TicketStatus.CANCELLED.value
    ticket.cancelled_at = NOW - timedelta(days=1)
    session.add(ticket)
    session.commit()
    result = _scan(session, world, world.payloads[1])
    assert result.verdict == ScanVerdict.CANCELLED and result.ticket_id == ticket.id
    assert _ticket(session, ticket.id).status == "cancelled"
    assert _attempts(session)[-1][:2] == (ticket.id, "CANCELLED")


def test_unknown_ticket_with_a_genuine_signature(session: Session, world: World) -> None:
    ghost = Ticket(**{**world.tickets[0].model_dump(), "id": 999_999, "qr_id": "0123456789abcdef"})
    payload = encode_ticket(session, ghost)
    result = _scan(session, world, payload)
    assert result.verdict == ScanVerdict.UNKNOWN_TICKET
    assert result.ticket_id is None and result.holder_name is None
    assert session.execute(select(ScanAttempt.ticket_id, ScanAttempt.verdict, ScanAttempt.detail)).one() == (
        None, "UNKNOWN_TICKET", "unknown_ticket id=999999")
    huge = Ticket(**{**world.tickets[0].model_dump(), "id": 2**32 - 1, "qr_id": "0123456789abcdee"})
    assert _scan(session, world, encode_ticket(session, huge)).verdict == ScanVerdict.UNKNOWN_TICKET


def test_wrong_day_window(session: Session, world: World) -> None:
    payload = world.payloads[0]
    too_early = _scan(session, world, payload, now=STARTS - timedelta(hours=6, seconds=1))
    too_late = _scan(session, world, payload, now=STARTS + timedelta(hours=12, seconds=1))
    assert too_early.verdict == too_late.verdict == ScanVerdict.WRONG_DAY
    assert "not open yet" in too_early.message and "closed" in too_late.message
    assert _ticket(session, world.tickets[0].id).status == "valid"
    assert _scan(session, world, payload, now=STARTS - timedelta(hours=6)).verdict == ScanVerdict.VALID
    edge = _scan(session, world, world.payloads[1], now=STARTS + timedelta(hours=12))
    assert edge.verdict == ScanVerdict.VALID


def test_wrong_event(session: Session, world: World) -> None:
    result = _scan(session, world, world.payloads[0], event_id=world.other_event.id)
    assert result.verdict == ScanVerdict.WRONG_EVENT and "Basketball - Final" in result.message
    assert _ticket(session, world.tickets[0].id).status == "valid"


def test_reissued_ticket_old_qr_is_dead(session: Session, world: World) -> None:
    ticket = world.tickets[0]
    old_payload = world.payloads[0]
    ticket.qr_id = "feedfacecafebeef"
    ticket.qr_payload = None
    session.add(ticket)
    new_payload = ensure_payload(session, ticket)
    session.commit()
    old = _scan(session, world, old_payload)
    assert old.verdict == ScanVerdict.INVALID and old.reason == "superseded"
    assert old.holder_name is None and old.ticket_id is None
    assert _attempts(session)[-1][:2] == (ticket.id, "INVALID")  # the trail still names the ticket
    assert _scan(session, world, new_payload).verdict == ScanVerdict.VALID


def test_changed_ticket_key_invalidates_the_qr(session: Session, world: World) -> None:
    ticket = world.tickets[2]
    ticket.ticket_key = "f" * 64
    session.add(ticket)
    session.commit()
    assert _scan(session, world, world.payloads[2]).reason == "superseded"
    assert _ticket(session, ticket.id).status == "valid"
    # On PostgreSQL the one-statement admission matched the row, then the commitment check rolled it back:
    # exactly one attempt (the INVALID one) and no `admitted` audit entry remain.
    assert [a[1] for a in _attempts(session)] == ["INVALID"]
    reasons = session.execute(select(AuditLog.details).where(AuditLog.action == "gate.scan")).scalars().all()
    assert len(reasons) == 1 and '"reason": "superseded"' in reasons[0]


def test_garbage_and_tampered_payloads(session: Session, world: World) -> None:
    garbage = _scan(session, world, "hello world")
    assert garbage.verdict == ScanVerdict.INVALID and garbage.reason == "bad_prefix"
    payload = world.payloads[0]
    tampered = payload[:60] + ("A" if payload[60] != "A" else "B") + payload[61:]
    assert _scan(session, world, tampered).verdict == ScanVerdict.INVALID
    assert _scan(session, world, payload[:-2]).reason == "bad_length"
    assert [a[1] for a in _attempts(session)] == ["INVALID"] * 3
    assert _ticket(session, world.tickets[0].id).status == "valid"


def test_only_staff_can_scan(session: Session, world: World) -> None:
    with pytest.raises(PermissionDeniedError):
        _scan(session, world, world.payloads[0], employee_id=world.visitor.id)
    with pytest.raises(PermissionDeniedError):
        _scan(session, world, world.payloads[0], employee_id=424242)
    world.employee.is_locked = True
    session.add(world.employee)
    session.commit()
    with pytest.raises(PermissionDeniedError):
        _scan(session, world, world.payloads[0])
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    assert _scan(session, world, world.payloads[0], employee_id=admin.id).verdict == ScanVerdict.VALID
    assert session.execute(select(func.count()).select_from(AuditLog)
                           .where(AuditLog.action == "gate.scan_refused")).scalar_one() == 3
    assert [a[1] for a in _attempts(session)] == ["VALID"]


def test_gate_name_is_validated(session: Session, world: World) -> None:
    for bad in ("", "   ", "x" * 61):
        with pytest.raises(ValidationError):
            _scan(session, world, world.payloads[0], gate=bad)
    assert _scan(session, world, world.payloads[0], gate="y" * 60).used_gate == "y" * 60


def test_recent_scans_counts_and_revocations(session: Session, world: World) -> None:
    _scan(session, world, world.payloads[0], gate="North")
    _scan(session, world, world.payloads[0], gate="South", now=NOW + timedelta(seconds=5))
    _scan(session, world, "nope", gate="South", now=NOW + timedelta(seconds=9))
    scans = recent_scans(session)
    assert [s["verdict"] for s in scans] == ["INVALID", "ALREADY_USED", "VALID"]
    assert scans[1]["ticket_number"] == world.tickets[0].number and scans[1]["persons"] == 4
    assert [s["verdict"] for s in recent_scans(session, gate="South")] == ["INVALID", "ALREADY_USED"]
    assert len(recent_scans(session, employee_id=world.employee.id, limit=1)) == 1
    assert recent_scans(session, employee_id=world.visitor.id) == []

    cancelled = world.tickets[2]
    cancelled.status = TicketStatus.CANCELLED.value
    cancelled.cancelled_at = NOW
    session.add(cancelled)
    session.commit()
    assert admission_counts(session, world.event.id) == {
        "admitted_tickets": 1, "admitted_persons": 4, "sold_persons": 8}
    assert admission_counts(session, world.other_event.id) == {
        "admitted_tickets": 0, "admitted_persons": 0, "sold_persons": 0}
    revoked = revocations_since(session, None)
    assert revoked == [{"ticket_id": cancelled.id, "qr_id": cancelled.qr_id, "event_id": world.event.id,
                        "cancelled_at": NOW}]
    assert revocations_since(session, NOW) == revoked
    assert revocations_since(session, NOW + timedelta(seconds=1)) == []
    assert revocations_since(session, None, event_id=world.other_event.id) == []


def _race(engine: Engine, payload: str, employee_id: int, threads: int = 16) -> list:
    barrier = threading.Barrier(threads)
    results: list = []
    errors: list = []

    def worker(index: int) -> None:
        try:
            with Session(engine) as own:
                barrier.wait()
                results.append(validate_scan(own, payload, employee_id=employee_id, gate=f"Lane {index}",
                                             now=NOW))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    return results


def test_sixteen_devices_scan_one_ticket_exactly_one_wins(pg_engine: Engine) -> None:
    with Session(pg_engine, expire_on_commit=False) as setup:
        world = build_world(setup, count=5)
    for ticket, payload in zip(world.tickets, world.payloads, strict=True):
        results = _race(pg_engine, payload, world.employee.id)
        verdicts = sorted(r.verdict.value for r in results)
        assert verdicts == ["ALREADY_USED"] * 15 + ["VALID"]
        winner = next(r for r in results if r.admitted)
        losers = [r for r in results if not r.admitted]
        assert all(r.used_gate == winner.used_gate and r.used_at == NOW for r in losers)
        with Session(pg_engine) as check:
            stored = check.get(Ticket, ticket.id)
            assert stored.status == "used" and stored.used_gate == winner.used_gate
            rows = check.execute(select(ScanAttempt.verdict, func.count()).where(ScanAttempt.ticket_id == ticket.id)
                                 .group_by(ScanAttempt.verdict)).all()
            assert dict(rows) == {"VALID": 1, "ALREADY_USED": 15}
