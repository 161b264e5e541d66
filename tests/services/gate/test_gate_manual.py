"""Manual entry at the gate: printed ticket number / order reference, confirmation, exactly-once admission (also
against a concurrent camera scan on PostgreSQL), per-device throttling of unknown numbers, audit trail."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jo_app.models import AuditLog, Order, ScanAttempt, ScanVerdict, Ticket
from jo_app.services.errors import PermissionDeniedError
from jo_app.services.gate import manual as gate_manual
from jo_app.services.gate.admission import validate_scan
from jo_app.services.gate.manual import TooManyGuessesError, admit_ticket, find_tickets
from jo_app.services.orders.checkout import new_reference
from tests.services.gate.test_gate import NOW, World, _fresh_cache, build_world  # noqa: F401 - autouse fixture

DEVICE = 4242


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def _find(session: Session, world: World, code: str, **kwargs):
    kwargs.setdefault("employee_id", world.employee.id)
    kwargs.setdefault("device_id", DEVICE)
    kwargs.setdefault("gate", "Gate M")
    kwargs.setdefault("event_id", world.event.id)
    return find_tickets(session, code, **kwargs)


def _admit(session: Session, world: World, ticket_id: int, **kwargs):
    kwargs.setdefault("employee_id", world.employee.id)
    kwargs.setdefault("device_id", DEVICE)
    kwargs.setdefault("gate", "Gate M")
    kwargs.setdefault("event_id", world.event.id)
    kwargs.setdefault("now", NOW)
    return admit_ticket(session, ticket_id, **kwargs)


def _actions(session: Session) -> list[str]:
    """The gate's audit actions, oldest first."""
    return [a for a in session.execute(select(AuditLog.action).order_by(AuditLog.id)).scalars()
            if a.startswith("gate.")]


def test_printed_ticket_number_is_found_then_admitted_once(session: Session, world: World) -> None:
    ticket = world.tickets[0]
    typed = f"  {ticket.number.lower()} "  # as typed on a phone keyboard
    found = _find(session, world, typed)
    assert found.kind == "ticket"
    [candidate] = found.candidates
    assert (candidate.ticket_id, candidate.number, candidate.holder_name, candidate.persons, candidate.status) == (
        ticket.id, ticket.number, ticket.holder_name, ticket.persons, "valid")
    assert session.get(Ticket, ticket.id).status == "valid"  # finding admits nobody

    first = _admit(session, world, ticket.id)
    assert first.verdict == ScanVerdict.VALID and first.holder_name == ticket.holder_name
    second = _admit(session, world, ticket.id)
    assert second.verdict == ScanVerdict.ALREADY_USED and second.used_gate == "Gate M"
    session.expire_all()
    assert session.get(Ticket, ticket.id).status == "used"
    verdicts = session.execute(select(ScanAttempt.verdict).where(ScanAttempt.ticket_id == ticket.id)
                               .order_by(ScanAttempt.id)).scalars().all()
    assert verdicts == ["VALID", "ALREADY_USED"]
    actions = _actions(session)
    assert actions.count("gate.manual_lookup") == 1 and actions.count("gate.manual_admit") == 2
    assert actions.count("gate.scan") == 2


def test_order_reference_lists_that_orders_tickets_for_the_session(session: Session, world: World) -> None:
    order = session.get(Order, world.tickets[0].order_id)
    order.reference = reference = new_reference()  # the product's format, e.g. JO24-7K3M-Q9XD
    session.commit()
    found = _find(session, world, reference.replace("-", " ").lower())
    assert found.kind == "order"
    assert sorted(c.ticket_id for c in found.candidates) == sorted(t.id for t in world.tickets)
    # Another session controlled: none of this order's tickets are for it.
    other = _find(session, world, reference, event_id=world.other_event.id)
    assert other.kind == "unknown" and other.candidates == ()


def test_unknown_numbers_are_unknown_and_throttled_per_device(session: Session, world: World) -> None:
    for index in range(gate_manual.MAX_MISSES):
        miss = _find(session, world, f"TAAAAAAAA-{index:02d}")
        assert miss.kind == "unknown" and miss.candidates == ()
    genuine = world.tickets[1].number
    with pytest.raises(TooManyGuessesError):
        _find(session, world, genuine)  # even a real number: this device must wait
    # Another device (staff session) is not held back; the first one is again after the window.
    assert _find(session, world, genuine, device_id=DEVICE + 1).candidates
    session.execute(update(AuditLog).values(created_at=AuditLog.created_at - gate_manual.MISS_WINDOW))
    session.commit()
    assert _find(session, world, genuine).candidates
    actions = _actions(session)
    assert actions.count("gate.manual_miss") == gate_manual.MAX_MISSES
    assert actions.count("gate.manual_throttled") == 1
    # Nothing was recorded as a forged scan.
    assert session.execute(select(func.count()).select_from(ScanAttempt)).scalar_one() == 0


def test_only_staff_can_look_up_or_admit(session: Session, world: World) -> None:
    with pytest.raises(PermissionDeniedError):
        _find(session, world, world.tickets[0].number, employee_id=world.visitor.id)
    with pytest.raises(PermissionDeniedError):
        _admit(session, world, world.tickets[0].id, employee_id=world.visitor.id)
    session.expire_all()
    assert session.get(Ticket, world.tickets[0].id).status == "valid"
    assert _actions(session) == ["gate.manual_refused", "gate.manual_refused"]


def test_unsigned_garbage_scan_is_not_called_forged(session: Session, world: World) -> None:
    garbage = validate_scan(session, "HELLO-WORLD", employee_id=world.employee.id, gate="Gate M", now=NOW)
    assert garbage.verdict == ScanVerdict.INVALID and garbage.reason == "bad_prefix"


def _camera_vs_manual(pg_engine: Engine, world: World, ticket_id: int, payload: str) -> list[str]:
    """A camera scan and a confirmed manual entry of one ticket, released at the same instant: the verdicts."""
    barrier = threading.Barrier(2)
    results: list = []
    errors: list[Exception] = []

    def camera() -> None:
        try:
            with Session(pg_engine) as own:
                barrier.wait()
                results.append(validate_scan(own, payload, employee_id=world.employee.id, gate="Camera lane",
                                             event_id=world.event.id, now=NOW))
        except Exception as exc:  # reported below
            errors.append(exc)

    def typed() -> None:
        try:
            with Session(pg_engine) as own:
                barrier.wait()
                results.append(admit_ticket(own, ticket_id, employee_id=world.employee.id, device_id=DEVICE,
                                            gate="Manual lane", event_id=world.event.id, now=NOW))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=camera), threading.Thread(target=typed)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return sorted(r.verdict.value for r in results)


def test_manual_entry_races_a_camera_scan_exactly_one_valid(pg_engine: Engine) -> None:
    with Session(pg_engine, expire_on_commit=False) as setup:
        world = build_world(setup, count=4)
    for ticket, payload in zip(world.tickets, world.payloads, strict=True):
        assert _camera_vs_manual(pg_engine, world, ticket.id, payload) == ["ALREADY_USED", "VALID"]
        with Session(pg_engine) as check:
            assert check.get(Ticket, ticket.id).status == "used"
            rows = check.execute(select(ScanAttempt.verdict, func.count()).where(ScanAttempt.ticket_id == ticket.id)
                                 .group_by(ScanAttempt.verdict)).all()
            assert dict(rows) == {"VALID": 1, "ALREADY_USED": 1}
