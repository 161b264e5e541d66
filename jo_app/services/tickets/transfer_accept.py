"""Accepting a ticket transfer (see services.tickets.transfers for the offer, cancel and expiry).

- `accept_transfer`: the recipient, logged in with THAT address, accepts: the ticket is re-keyed to them
  (`ticket_rekey`: new key and QR, the old QR answers TRANSFERRED at the gate), the holder becomes the recipient.
- `accept_with_new_account`: same, creating the recipient's account first (the token proves the mailbox, so the
  account is created verified), in the same transaction.
Lock order as everywhere else: the ticket row first, then the transfer row (no deadlock with `start_transfer`).
A transfer whose ticket was used or cancelled meanwhile is closed when someone tries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.models import RevocationReason, Ticket, TicketTransfer, TransferStatus, User
from jo_app.services import audit, mail_jobs
from jo_app.services.accounts import users
from jo_app.services.accounts.common import find_active_user_by_email, load_active_user
from jo_app.services.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from jo_app.services.keys import hash_token
from jo_app.services.tickets.holders import check_changeable, owned_ticket
from jo_app.services.tickets.rekey import rekey
from jo_app.timeutil import utcnow

TOKEN_MAX = 128


@dataclass(frozen=True)
class TransferAccepted:
    transfer_id: int
    ticket_id: int
    recipient_id: int
    recipient_email: str
    recipient_name: str
    sender_email: str
    sender_name: str
    event_title: str


def accepted_count(session: Session, ticket_id: int) -> int:
    return int(session.execute(select(func.count()).select_from(TicketTransfer).where(
        TicketTransfer.ticket_id == ticket_id, TicketTransfer.status == TransferStatus.ACCEPTED)).scalar_one())


def by_token(session: Session, token: str, *, lock: bool = False) -> TicketTransfer:
    if not isinstance(token, str) or not 16 <= len(token) <= TOKEN_MAX:
        raise NotFoundError("This transfer link is not valid.", code="transfer_not_found")
    query = select(TicketTransfer).where(TicketTransfer.token_hash == hash_token(token.strip()))
    if lock:
        query = query.with_for_update()
    transfer = session.execute(query.execution_options(populate_existing=True)).scalars().first()
    if transfer is None:
        raise NotFoundError("This transfer link is not valid.", code="transfer_not_found")
    return transfer


def _open_transfer(session: Session, token: str, now: datetime) -> TicketTransfer:
    """The pending, unexpired transfer of `token`, row-locked. An expired one is marked so and committed.

    Lock order as everywhere else: the ticket row first, then the transfer row (no deadlock with
    `start_transfer`)."""
    ticket_id = by_token(session, token).ticket_id
    session.execute(select(Ticket.id).where(Ticket.id == ticket_id).with_for_update())
    transfer = by_token(session, token, lock=True)
    if transfer.status != TransferStatus.PENDING:
        raise ConflictError("This transfer is no longer open.", code="transfer_closed")
    if transfer.expires_at <= now:
        transfer.status, transfer.decided_at = TransferStatus.EXPIRED, now
        session.add(transfer)
        session.commit()
        raise ConflictError("This transfer has expired.", code="transfer_expired")
    return transfer


def _complete(session: Session, transfer: TicketTransfer, recipient: User, now: datetime,
              client_ip: str | None) -> TransferAccepted:
    if recipient.email != transfer.to_email:
        raise PermissionDeniedError("This transfer was sent to another e-mail address: log in with that address.",
                                    code="transfer_wrong_account")
    ticket, event = owned_ticket(session, transfer.from_user_id, transfer.ticket_id, lock=True)
    check_changeable(ticket, event, now)
    if accepted_count(session, ticket.id) >= get_settings().max_transfers_per_ticket:
        raise ConflictError("This ticket has been transferred too many times.", code="transfer_limit")
    sender = session.get(User, transfer.from_user_id)
    assert sender is not None
    rekey(session, ticket, recipient, expected_owner_id=transfer.from_user_id, reason=RevocationReason.TRANSFERRED,
          holder_first=recipient.first_name, holder_last=recipient.last_name, now=now)
    transfer.status, transfer.decided_at, transfer.to_user_id = TransferStatus.ACCEPTED, now, recipient.id
    session.add(transfer)
    audit.record(session, "ticket.transfer_accepted", actor_id=recipient.id, target_type="ticket",
                 target_id=ticket.id, client_ip=client_ip, transfer_id=transfer.id, from_user_id=sender.id)
    session.flush()
    mail_jobs.queue_transfer_done(session, transfer.id)  # both parties, each in their own language
    return TransferAccepted(transfer_id=transfer.id, ticket_id=ticket.id, recipient_id=recipient.id,
                            recipient_email=recipient.email, recipient_name=recipient.first_name,
                            sender_email=sender.email, sender_name=sender.first_name, event_title=event.title)


def _closed_on_failure(session: Session, transfer_id: int, now: datetime) -> None:
    """A transfer whose ticket was used or cancelled meanwhile can never complete: close it (own commit)."""
    session.execute(update(TicketTransfer).where(TicketTransfer.id == transfer_id,
                                                 TicketTransfer.status == TransferStatus.PENDING)
                    .values(status=TransferStatus.CANCELLED, decided_at=now))
    session.commit()


def accept_transfer(session: Session, user_id: int, token: str, *, now: datetime | None = None,
                    client_ip: str | None = None) -> TransferAccepted:
    """The logged-in recipient takes the ticket. Commits. Errors: transfer_not_found, transfer_closed,
    transfer_expired, transfer_wrong_account, ticket_not_valid, cutoff_passed, transfer_limit, ticket_changed."""
    now = now or utcnow()
    transfer_id = None
    try:
        transfer = _open_transfer(session, token, now)
        transfer_id = transfer.id
        recipient = load_active_user(session, user_id)
        result = _complete(session, transfer, recipient, now, client_ip)
        session.commit()
        return result
    except ConflictError as exc:
        session.rollback()
        if transfer_id is not None and exc.code in {"ticket_not_valid", "ticket_changed"}:
            _closed_on_failure(session, transfer_id, now)
        raise
    except BaseException:
        session.rollback()
        raise


def accept_with_new_account(session: Session, token: str, *, first_name: str, last_name: str, password: str,
                            consent: bool, now: datetime | None = None, client_ip: str | None = None,
                            lang: str = "fr") -> TransferAccepted:
    """Create the recipient's account (verified: the link proves the mailbox; `lang`: the page's, stored as the
    account's) and accept, in one transaction.
    An address that already has an account gets `account_exists` (log in and accept instead). Commits."""
    now = now or utcnow()
    if not consent:
        raise ValidationError("You must accept the privacy policy to create an account.", field="consent")
    try:
        transfer = _open_transfer(session, token, now)
        if find_active_user_by_email(session, transfer.to_email) is not None:
            raise ConflictError("An account already exists for this address: log in to accept.",
                                code="account_exists")
        recipient = users.create_user(session, email=transfer.to_email, password=password, first_name=first_name,
                                      last_name=last_name, verified=True,
                                      consent_version=users.PRIVACY_POLICY_VERSION, client_ip=client_ip,
                                      lang=lang)
        result = _complete(session, transfer, recipient, now, client_ip)
        session.commit()
        return result
    except BaseException:
        session.rollback()
        raise
