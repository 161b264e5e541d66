"""The live QR: standard TOTP (checked with oathtool), accepted at the gate within the window and exactly once,
a stale code (screenshot) refused with CODE_EXPIRED, static QRs refused where the session disabled them."""

from __future__ import annotations

import subprocess
from datetime import UTC, timedelta

import pytest
from sqlmodel import Session

from jo_app.models import Event, ScanVerdict, TicketStatus
from jo_app.services.gate.admission import validate_scan
from jo_app.services.tickets import rotating_qr, signing, transfer_accept, transfers
from jo_app.services.tickets.tokens import ensure_payload
from tests.services.tickets.ownership_world import build, fresh


@pytest.fixture(autouse=True)
def _fresh_keys():
    signing.clear_cache()
    yield
    signing.clear_cache()


def _scan(session: Session, world, payload: str, now):
    return validate_scan(session, payload, employee_id=world.employee.id, gate="Porte B", now=now)


def _live(session: Session, ticket_id: int, now) -> str:
    ticket = fresh(session, ticket_id)
    payload = ensure_payload(session, ticket)
    session.commit()
    return rotating_qr.live_payload(payload, ticket.event_id, ticket.qr_id, now)


@pytest.mark.parametrize("moment", [1_700_000_000, 1_733_000_007, 2_000_000_014])
def test_the_code_is_standard_totp_sha256(moment: int) -> None:
    secret = rotating_qr.ticket_secret(42, "0123456789abcdef")
    from datetime import datetime

    expected = subprocess.run(["oathtool", "--totp=sha256", "-s", "15", "-d", "8", "-N", f"@{moment}", "-b",
                               rotating_qr.secret_base32(secret)], capture_output=True, text=True,
                              check=True).stdout.strip()
    now = datetime.fromtimestamp(moment, UTC).replace(tzinfo=None)
    assert rotating_qr.code_for(secret, rotating_qr.counter_at(now)) == expected
    assert rotating_qr.code_is_fresh(42, "0123456789abcdef", expected, now)
    assert not rotating_qr.code_is_fresh(43, "0123456789abcdef", expected, now)  # secret is per event + ticket


def test_live_code_admits_once_and_a_stale_one_is_refused(session: Session) -> None:
    world = build(session, starts_in=timedelta(hours=1))
    ticket_id = world.tickets[0].id
    at_gate = world.now
    screenshot = _live(session, ticket_id, at_gate - timedelta(seconds=60))  # taken a minute ago
    refused = _scan(session, world, screenshot, at_gate)
    assert refused.verdict == ScanVerdict.CODE_EXPIRED and not refused.admitted
    assert fresh(session, ticket_id).status == TicketStatus.VALID.value
    wrong = _live(session, ticket_id, at_gate)[:-8] + "00000000"
    assert _scan(session, world, wrong, at_gate).verdict == ScanVerdict.CODE_EXPIRED
    # within the window: the code of the previous step still admits (clock skew, slow scan)
    live = _live(session, ticket_id, at_gate - timedelta(seconds=15))
    admitted = _scan(session, world, live, at_gate)
    assert admitted.verdict == ScanVerdict.VALID and admitted.holder_name == "Ada Lovelace"
    assert _scan(session, world, _live(session, ticket_id, at_gate), at_gate).verdict == ScanVerdict.ALREADY_USED
    assert fresh(session, ticket_id).status == TicketStatus.USED.value


def test_static_qr_refused_when_the_session_disables_it(session: Session) -> None:
    world = build(session, starts_in=timedelta(hours=1))
    static = ensure_payload(session, fresh(session, world.tickets[0].id))
    session.commit()
    event = session.get(Event, world.event.id)
    event.static_qr_enabled = False
    session.add(event)
    session.commit()
    refused = _scan(session, world, static, world.now)
    assert refused.verdict == ScanVerdict.STATIC_REFUSED and not refused.admitted
    assert fresh(session, world.tickets[0].id).status == TicketStatus.VALID.value
    assert _scan(session, world, _live(session, world.tickets[0].id, world.now), world.now).admitted
    # the other ticket's static QR where static codes are allowed again
    event = session.get(Event, world.event.id)
    event.static_qr_enabled = True
    session.add(event)
    session.commit()
    other = ensure_payload(session, fresh(session, world.tickets[1].id))
    session.commit()
    assert _scan(session, world, other, world.now).admitted


def test_a_transferred_tickets_old_live_code_says_transferred(session: Session) -> None:
    world = build(session, starts_in=timedelta(hours=3))
    ticket_id = world.tickets[0].id
    at = world.now
    old_live = _live(session, ticket_id, at)
    started = transfers.start_transfer(session, world.buyer.id, ticket_id, world.recipient.email, now=at)
    transfer_accept.accept_transfer(session, world.recipient.id, started.token, now=at)
    scan_at = world.event.starts_at - timedelta(hours=2, minutes=30)
    assert _scan(session, world, old_live, at).verdict == ScanVerdict.TRANSFERRED
    new_live = _live(session, ticket_id, scan_at)
    assert new_live != old_live
    assert _scan(session, world, new_live, scan_at).verdict == ScanVerdict.VALID


def test_manual_admission_works_where_printed_qrs_are_refused(session: Session) -> None:
    from jo_app.services.gate import manual as gate_manual

    world = build(session, starts_in=timedelta(hours=1))
    event = session.get(Event, world.event.id)
    event.static_qr_enabled = False
    session.add(event)
    session.commit()
    result = gate_manual.admit_ticket(session, world.tickets[0].id, employee_id=world.employee.id, device_id=1,
                                      gate="Porte B", now=world.now)
    assert result.verdict == ScanVerdict.VALID
    assert fresh(session, world.tickets[0].id).status == TicketStatus.USED.value
