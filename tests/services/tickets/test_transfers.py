"""Ticket transfers: offer, accept (existing or new account), cancel, expiry, limits, re-keying and the gate's
TRANSFERRED verdict for the old QR."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from jo_app.models import AuditLog, ScanVerdict, TicketRevocation, TicketStatus, TicketTransfer, TransferStatus, User
from jo_app.services.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from jo_app.services.gate.admission import validate_scan
from jo_app.services.tickets import signing, transfer_accept, transfers
from jo_app.services.tickets.tokens import ensure_payload, verify
from tests.services.tickets.ownership_world import build, fresh


@pytest.fixture(autouse=True)
def _fresh_keys():
    signing.clear_cache()
    yield
    signing.clear_cache()


def _scan(session: Session, world, payload: str, now=None):
    return validate_scan(session, payload, employee_id=world.employee.id, gate="Porte A",
                         now=now or world.event.starts_at - timedelta(hours=1))


def test_transfer_accepted_rekeys_the_ticket_and_the_old_qr_says_transferred(session: Session) -> None:
    world = build(session)
    ticket = world.tickets[0]
    old = fresh(session, ticket.id)
    old_payload, old_key, old_qr = old.qr_payload, old.ticket_key, old.qr_id
    started = transfers.start_transfer(session, world.buyer.id, ticket.id, world.recipient.email.upper())
    assert started.to_email == world.recipient.email
    stored = session.execute(select(TicketTransfer)).scalars().one()
    assert stored.token_hash != started.token and started.token not in stored.token_hash
    accepted = transfer_accept.accept_transfer(session, world.recipient.id, started.token)
    assert (accepted.recipient_id, accepted.sender_email) == (world.recipient.id, world.buyer.email)

    new = fresh(session, ticket.id)
    assert new.user_id == world.recipient.id and new.user_key == world.recipient.security_key
    assert new.ticket_key != old_key and new.qr_id != old_qr and new.qr_payload is None
    assert new.holder_name == "Grace Hopper" and new.number == old.number
    new_payload = ensure_payload(session, new)
    session.commit()
    assert verify(session, new_payload).qr_id == new.qr_id
    assert session.execute(select(TicketRevocation.qr_id, TicketRevocation.reason)).all() == [(old_qr, "transferred")]

    refused = _scan(session, world, old_payload)
    assert refused.verdict == ScanVerdict.TRANSFERRED and not refused.admitted
    assert refused.holder_name is None  # the new holder's name is not shown for the old code
    admitted = _scan(session, world, new_payload)
    assert admitted.verdict == ScanVerdict.VALID and admitted.holder_name == "Grace Hopper"
    assert _scan(session, world, old_payload).verdict == ScanVerdict.TRANSFERRED
    actions = {a for (a,) in session.execute(select(AuditLog.action))}
    assert {"ticket.transfer_started", "ticket.transfer_accepted"} <= actions


def test_only_the_addressee_may_accept_and_only_the_owner_may_offer(session: Session) -> None:
    world = build(session)
    ticket = world.tickets[0]
    with pytest.raises(NotFoundError):
        transfers.start_transfer(session, world.stranger.id, ticket.id, world.stranger.email)
    with pytest.raises(ValidationError) as to_self:
        transfers.start_transfer(session, world.buyer.id, ticket.id, world.buyer.email)
    assert to_self.value.code == "transfer_to_self"
    started = transfers.start_transfer(session, world.buyer.id, ticket.id, world.recipient.email)
    with pytest.raises(PermissionDeniedError):
        transfer_accept.accept_transfer(session, world.stranger.id, started.token)
    with pytest.raises(NotFoundError):
        transfer_accept.accept_transfer(session, world.recipient.id, started.token[:-2] + "xx")
    with pytest.raises(NotFoundError):
        transfers.cancel_transfer(session, world.stranger.id, started.transfer_id)
    assert fresh(session, ticket.id).user_id == world.buyer.id
    with pytest.raises(ConflictError) as twice:
        transfers.start_transfer(session, world.buyer.id, ticket.id, world.stranger.email)
    assert twice.value.code == "transfer_pending"


def test_cancel_before_acceptance_then_the_link_is_dead(session: Session) -> None:
    world = build(session)
    started = transfers.start_transfer(session, world.buyer.id, world.tickets[0].id, world.recipient.email)
    transfers.cancel_transfer(session, world.buyer.id, started.transfer_id)
    with pytest.raises(ConflictError) as closed:
        transfer_accept.accept_transfer(session, world.recipient.id, started.token)
    assert closed.value.code == "transfer_closed"
    with pytest.raises(ConflictError):
        transfers.cancel_transfer(session, world.buyer.id, started.transfer_id)
    assert fresh(session, world.tickets[0].id).user_id == world.buyer.id
    again = transfers.start_transfer(session, world.buyer.id, world.tickets[0].id, world.recipient.email)
    assert again.transfer_id != started.transfer_id


def test_expiry(session: Session) -> None:
    world = build(session)
    started = transfers.start_transfer(session, world.buyer.id, world.tickets[0].id, world.recipient.email,
                                       now=world.now)
    assert started.expires_at <= world.now + timedelta(hours=72)
    later = started.expires_at + timedelta(seconds=1)
    with pytest.raises(ConflictError) as expired:
        transfer_accept.accept_transfer(session, world.recipient.id, started.token, now=later)
    assert expired.value.code == "transfer_expired"
    session.expire_all()
    assert session.get(TicketTransfer, started.transfer_id).status == TransferStatus.EXPIRED.value
    other = transfers.start_transfer(session, world.buyer.id, world.tickets[1].id, world.recipient.email,
                                     now=world.now)
    assert transfers.expire_transfers(session, now=other.expires_at) == 1
    session.expire_all()
    assert session.get(TicketTransfer, other.transfer_id).status == TransferStatus.EXPIRED.value


def test_expiry_never_later_than_the_cutoff(session: Session) -> None:
    world = build(session, starts_in=timedelta(hours=5))
    started = transfers.start_transfer(session, world.buyer.id, world.tickets[0].id, world.recipient.email)
    assert started.expires_at == world.event.starts_at - timedelta(hours=2)


def test_limits_used_ticket_cutoff_and_count(session: Session, monkeypatch) -> None:
    world = build(session)
    ticket = fresh(session, world.tickets[1].id)
    ticket.status = TicketStatus.USED.value
    session.add(ticket)
    session.commit()
    with pytest.raises(ConflictError) as used:
        transfers.start_transfer(session, world.buyer.id, ticket.id, world.recipient.email)
    assert used.value.code == "ticket_not_valid"
    with pytest.raises(ConflictError) as late:
        transfers.start_transfer(session, world.buyer.id, world.tickets[0].id, world.recipient.email,
                                 now=world.event.starts_at - timedelta(minutes=90))
    assert late.value.code == "cutoff_passed"

    from jo_app.config import get_settings
    monkeypatch.setenv("MAX_TRANSFERS_PER_TICKET", "1")
    get_settings.cache_clear()
    try:
        first = transfers.start_transfer(session, world.buyer.id, world.tickets[0].id, world.recipient.email)
        transfer_accept.accept_transfer(session, world.recipient.id, first.token)
        with pytest.raises(ConflictError) as limit:
            transfers.start_transfer(session, world.recipient.id, world.tickets[0].id, world.stranger.email)
        assert limit.value.code == "transfer_limit"
    finally:
        monkeypatch.delenv("MAX_TRANSFERS_PER_TICKET")
        get_settings.cache_clear()


def test_ticket_used_after_the_offer_cannot_be_accepted(session: Session) -> None:
    world = build(session, starts_in=timedelta(hours=3))
    ticket = world.tickets[0]
    started = transfers.start_transfer(session, world.buyer.id, ticket.id, world.recipient.email)
    payload = fresh(session, ticket.id).qr_payload
    assert _scan(session, world, payload, now=world.event.starts_at - timedelta(hours=2, minutes=30)).admitted
    with pytest.raises(ConflictError) as used:
        transfer_accept.accept_transfer(session, world.recipient.id, started.token,
                                        now=world.event.starts_at - timedelta(hours=2, minutes=20))
    assert used.value.code == "ticket_not_valid"
    session.expire_all()
    assert session.get(TicketTransfer, started.transfer_id).status == TransferStatus.CANCELLED.value
    assert fresh(session, ticket.id).user_id == world.buyer.id


def test_accept_with_a_new_account(session: Session) -> None:
    world = build(session)
    started = transfers.start_transfer(session, world.buyer.id, world.tickets[0].id, "new.fan@example.org")
    with pytest.raises(ValidationError):
        transfer_accept.accept_with_new_account(session, started.token, first_name="New", last_name="Fan",
                                                password="Sprint!Paris2024", consent=False)
    accepted = transfer_accept.accept_with_new_account(session, started.token, first_name="Nina", last_name="Fan",
                                                       password="Sprint!Paris2024", consent=True)
    user = session.execute(select(User).where(User.email == "new.fan@example.org")).scalars().one()
    assert user.is_verified and accepted.recipient_id == user.id
    assert fresh(session, world.tickets[0].id).user_id == user.id
    assert fresh(session, world.tickets[0].id).holder_name == "Nina Fan"
    # an address that already has an account must log in instead
    other = transfers.start_transfer(session, world.buyer.id, world.tickets[1].id, world.recipient.email)
    with pytest.raises(ConflictError) as exists:
        transfer_accept.accept_with_new_account(session, other.token, first_name="X", last_name="Y",
                                                password="Sprint!Paris2024", consent=True)
    assert exists.value.code == "account_exists"


def test_list_shows_outgoing_and_incoming(session: Session) -> None:
    world = build(session)
    started = transfers.start_transfer(session, world.buyer.id, world.tickets[0].id, world.recipient.email)
    mine = transfers.list_transfers(session, world.buyer.id)
    theirs = transfers.list_transfers(session, world.recipient.id)
    assert [(t.id, t.outgoing) for t in mine] == [(started.transfer_id, True)]
    assert [(t.id, t.outgoing) for t in theirs] == [(started.transfer_id, False)]
    assert transfers.list_transfers(session, world.stranger.id) == []


def test_offline_block_list_carries_the_transferred_qr_id(session: Session) -> None:
    from jo_app.services.gate.reports import revocations_since

    world = build(session)
    old_qr = fresh(session, world.tickets[0].id).qr_id
    started = transfers.start_transfer(session, world.buyer.id, world.tickets[0].id, world.recipient.email,
                                       now=world.now)
    transfer_accept.accept_transfer(session, world.recipient.id, started.token, now=world.now)
    rows = revocations_since(session, world.now - timedelta(minutes=1), event_id=world.event.id)
    assert [(r["ticket_id"], r["qr_id"]) for r in rows] == [(world.tickets[0].id, old_qr)]
    assert revocations_since(session, world.now + timedelta(minutes=1)) == []
    assert fresh(session, world.tickets[0].id).qr_id not in {r["qr_id"] for r in rows}


def test_offers_are_rate_limited_per_sender(session: Session, monkeypatch) -> None:
    monkeypatch.setattr(transfers, "OFFERS_PER_HOUR", 3)
    world = build(session)
    ticket_id = world.tickets[0].id
    for _ in range(3):
        started = transfers.start_transfer(session, world.buyer.id, ticket_id, world.recipient.email, now=world.now)
        transfers.cancel_transfer(session, world.buyer.id, started.transfer_id, now=world.now)
    with pytest.raises(ConflictError) as limited:
        transfers.start_transfer(session, world.buyer.id, ticket_id, world.recipient.email, now=world.now)
    assert limited.value.code == "transfer_rate"
    later = world.now + timedelta(hours=1, seconds=1)
    assert transfers.start_transfer(session, world.buyer.id, ticket_id, world.recipient.email, now=later)
