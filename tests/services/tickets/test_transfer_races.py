"""Transfers under concurrency on PostgreSQL (real connections in threads): transfer vs scans of the old QR, and a
link accepted twice at once. One wins; a ticket never has two admitting QR codes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jo_app.models import ScanVerdict, TicketRevocation, TicketStatus
from jo_app.services.errors import DomainError
from jo_app.services.gate.admission import validate_scan
from jo_app.services.tickets import signing, transfer_accept, transfers
from jo_app.services.tickets.tokens import ensure_payload
from tests.races import race
from tests.services.tickets.ownership_world import build, fresh

ROUNDS = 10
SCANNERS = 4


@pytest.fixture(autouse=True)
def _fresh_keys():
    signing.clear_cache()
    yield
    signing.clear_cache()


def test_transfer_against_scans_of_the_old_qr(pg_engine: Engine) -> None:
    outcomes = set()
    for _ in range(ROUNDS):
        with Session(pg_engine, expire_on_commit=False) as session:
            world = build(session, starts_in=timedelta(hours=3))
            ticket_id = world.tickets[0].id
            buyer_id, recipient_id, employee_id = world.buyer.id, world.recipient.id, world.employee.id
            scan_at = world.event.starts_at - timedelta(hours=2, minutes=30)
            old_payload = fresh(session, ticket_id).qr_payload
            started = transfers.start_transfer(session, buyer_id, ticket_id, world.recipient.email)

        def scan(own: Session, payload=old_payload, employee_id=employee_id, when=scan_at):
            return validate_scan(own, payload, employee_id=employee_id, gate="A", now=when)

        def accept(own: Session, token=started.token, recipient_id=recipient_id, when=scan_at):
            return transfer_accept.accept_transfer(own, recipient_id, token, now=when)

        results = race(pg_engine, [accept] + [scan] * SCANNERS, catch=DomainError, connect_first=True)
        accepted = not isinstance(results[0], DomainError)
        verdicts = [r.verdict for r in results[1:]]
        with Session(pg_engine) as session:
            ticket = fresh(session, ticket_id)
            revoked = session.execute(select(func.count()).select_from(TicketRevocation)
                                      .where(TicketRevocation.ticket_id == ticket_id)).scalar_one()
            if accepted:
                # the transfer won: the old QR admitted nobody; the new owner's QR is the only valid one
                assert verdicts.count(ScanVerdict.VALID) == 0, verdicts
                assert set(verdicts) == {ScanVerdict.TRANSFERRED}, verdicts
                assert ticket.status == TicketStatus.VALID.value and ticket.user_id == recipient_id
                assert revoked == 1
                new_payload = ensure_payload(session, ticket)
                session.commit()
                assert validate_scan(session, new_payload, employee_id=employee_id, gate="A",
                                     now=scan_at).verdict == ScanVerdict.VALID
                outcomes.add("transfer")
            else:
                # a scan won: exactly one admission, the transfer refused, the ticket still the buyer's
                assert results[0].code == "ticket_not_valid", results[0]
                assert verdicts.count(ScanVerdict.VALID) == 1, verdicts
                assert set(verdicts) <= {ScanVerdict.VALID, ScanVerdict.ALREADY_USED}
                assert ticket.status == TicketStatus.USED.value and ticket.user_id == buyer_id
                assert revoked == 0
                outcomes.add("scan")
    print("winners over the rounds:", sorted(outcomes))  # each round asserted one consistent winner


def test_one_link_accepted_twice_at_once(pg_engine: Engine) -> None:
    for _ in range(ROUNDS):
        with Session(pg_engine, expire_on_commit=False) as session:
            world = build(session)
            ticket_id = world.tickets[0].id
            recipient_id = world.recipient.id
            started = transfers.start_transfer(session, world.buyer.id, ticket_id, world.recipient.email)

        def accept(own: Session, token=started.token, recipient_id=recipient_id):
            return transfer_accept.accept_transfer(own, recipient_id, token)

        results = race(pg_engine, [accept] * 4, catch=DomainError, connect_first=True)
        wins = [r for r in results if not isinstance(r, DomainError)]
        assert len(wins) == 1, results
        assert {r.code for r in results if isinstance(r, DomainError)} == {"transfer_closed"}
        with Session(pg_engine) as session:
            assert session.execute(select(func.count()).select_from(TicketRevocation)
                                   .where(TicketRevocation.ticket_id == ticket_id)).scalar_one() == 1
