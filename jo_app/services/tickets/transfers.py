"""Ticket transfer by e-mail: offer, cancel, expire, list (acceptance: services.tickets.transfer_accept).

- `start_transfer`: the owner offers a valid ticket to an e-mail address; a random token (only its SHA-256 is
  stored) goes to that address in the acceptance link. One pending transfer per ticket (partial unique index).
- `accept_transfer` / `accept_with_new_account`: see services.tickets.transfer_accept.
- `cancel_transfer` (sender, while pending); expiry after `TRANSFER_EXPIRY_HOURS` (and at the cut-off at the
  latest), applied lazily and by `expire_transfers`.
Limits: not after the cut-off, not a used or cancelled ticket, at most `MAX_TRANSFERS_PER_TICKET` accepted
transfers per ticket. Every step is audit-logged; the e-mails are durable jobs queued in the same transaction
(`mail_jobs`: the offer, with its token sealed; the notices of an accepted transfer).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.models import Event, Ticket, TicketTransfer, TransferStatus, User
from jo_app.services import audit, mail_jobs
from jo_app.services.accounts.common import load_active_user, normalize_email
from jo_app.services.errors import ConflictError, NotFoundError, ValidationError
from jo_app.services.keys import hash_token
from jo_app.services.tickets import resale
from jo_app.services.tickets.holders import change_deadline, check_changeable, owned_ticket
from jo_app.services.tickets.owned_close import close_owned
from jo_app.services.tickets.transfer_accept import accepted_count, by_token
from jo_app.timeutil import utcnow

OFFERS_PER_HOUR = 20  # transfer offers (each one sends an e-mail) a user may start per hour


@dataclass(frozen=True)
class TransferStarted:
    transfer_id: int
    token: str  # goes to the recipient only (the acceptance link); never stored in clear
    ticket_id: int
    to_email: str
    expires_at: datetime
    from_name: str
    event_title: str
    event_starts_at: datetime


@dataclass(frozen=True)
class TransferView:
    id: int
    ticket_id: int
    ticket_number: str
    event_title: str
    event_starts_at: datetime
    persons: int
    from_name: str
    to_email: str
    status: str
    created_at: datetime
    expires_at: datetime
    outgoing: bool  # True: sent by the caller; False: offered to the caller


def _expire_stale(session: Session, now: datetime, *, ticket_id: int | None = None) -> int:
    stmt = update(TicketTransfer).where(TicketTransfer.status == TransferStatus.PENDING,
                                        TicketTransfer.expires_at <= now)
    if ticket_id is not None:
        stmt = stmt.where(TicketTransfer.ticket_id == ticket_id)
    return session.execute(stmt.values(status=TransferStatus.EXPIRED, decided_at=now)
                           .execution_options(synchronize_session=False)).rowcount


def expire_transfers(session: Session, *, now: datetime | None = None) -> int:
    """Mark every pending transfer past its expiry as expired (periodic job). Commits. Returns how many."""
    count = _expire_stale(session, now or utcnow())
    if count:
        audit.record(session, "ticket.transfers_expired", count=count)
    session.commit()
    return count


def start_transfer(session: Session, user_id: int, ticket_id: int, to_email: str, *, now: datetime | None = None,
                   client_ip: str | None = None, lang: str | None = None) -> TransferStarted:
    """Offer one of the user's tickets to `to_email` and queue the offer mail: in the recipient's language when the
    address has an account, else `lang` (the page's), else the sender's. Commits. Errors: ticket_not_found,
    invalid e-mail, transfer_to_self, ticket_not_valid, cutoff_passed, transfer_limit, transfer_pending."""
    now = now or utcnow()
    try:
        sender = load_active_user(session, user_id)
        ticket, event = owned_ticket(session, user_id, ticket_id, lock=True)  # first: another's ticket is 404
        email = normalize_email(to_email)
        if email == sender.email:
            raise ValidationError("You cannot transfer a ticket to yourself.", code="transfer_to_self", field="email")
        recent = session.execute(select(func.count()).select_from(TicketTransfer).where(
            TicketTransfer.from_user_id == user_id, TicketTransfer.created_at > now - timedelta(hours=1))).scalar_one()
        if recent >= OFFERS_PER_HOUR:  # each offer e-mails an address of the sender's choice: no mail bombing
            raise ConflictError("Too many transfers offered in the last hour; try again later.", code="transfer_rate")
        check_changeable(ticket, event, now)
        if accepted_count(session, ticket_id) >= get_settings().max_transfers_per_ticket:
            raise ConflictError("This ticket has been transferred too many times.", code="transfer_limit")
        if resale.is_listed(session, ticket_id):
            raise ConflictError("This ticket is on resale: withdraw it first.", code="ticket_listed")
        _expire_stale(session, now, ticket_id=ticket_id)
        token = secrets.token_urlsafe(32)
        expires = min(now + timedelta(hours=get_settings().transfer_expiry_hours), change_deadline(event.starts_at))
        transfer = TicketTransfer(ticket_id=ticket_id, from_user_id=user_id, to_email=email,
                                  token_hash=hash_token(token), created_at=now, expires_at=expires)
        session.add(transfer)
        try:
            session.flush()
        except IntegrityError:
            raise ConflictError("A transfer of this ticket is already pending.", code="transfer_pending") from None
        audit.record(session, "ticket.transfer_started", actor_id=user_id, target_type="ticket",
                     target_id=ticket_id, client_ip=client_ip, transfer_id=transfer.id, to_email=email)
        mail_jobs.queue_transfer_offer(session, transfer.id, token, lang or str(sender.lang))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    assert transfer.id is not None
    return TransferStarted(transfer_id=transfer.id, token=token, ticket_id=ticket_id, to_email=email,
                           expires_at=expires, from_name=f"{sender.first_name} {sender.last_name}",
                           event_title=event.title, event_starts_at=event.starts_at)


def cancel_transfer(session: Session, user_id: int, transfer_id: int, *, now: datetime | None = None,
                    client_ip: str | None = None) -> None:
    """The sender withdraws a pending transfer. Commits. NotFoundError for someone else's; ConflictError
    `transfer_closed` once accepted, cancelled or expired."""
    now = now or utcnow()
    close_owned(session, TicketTransfer, transfer_id, user_id, owner=TicketTransfer.from_user_id,
                open_status=TransferStatus.PENDING,
                values={"status": TransferStatus.CANCELLED, "decided_at": now},
                not_found=NotFoundError("Transfer not found.", code="transfer_not_found"),
                closed=ConflictError("This transfer is already closed.", code="transfer_closed"),
                action="ticket.transfer_cancelled", target_type="transfer", client_ip=client_ip)


def preview(session: Session, token: str, *, now: datetime | None = None) -> TransferView:
    """What the acceptance page shows for a link (no personal data beyond the sender's name and the address)."""
    transfer = by_token(session, token)
    return _view(session, transfer, outgoing=False, now=now or utcnow())


def _view(session: Session, transfer: TicketTransfer, *, outgoing: bool, now: datetime) -> TransferView:
    ticket, event, sender = session.execute(
        select(Ticket, Event, User).join(Event, Event.id == Ticket.event_id)
        .join(User, User.id == transfer.from_user_id).where(Ticket.id == transfer.ticket_id)).one()
    status = transfer.status
    if status == TransferStatus.PENDING and transfer.expires_at <= now:
        status = TransferStatus.EXPIRED
    return TransferView(id=transfer.id, ticket_id=ticket.id, ticket_number=ticket.number, event_title=event.title,
                        event_starts_at=event.starts_at, persons=ticket.persons,
                        from_name=f"{sender.first_name} {sender.last_name}", to_email=transfer.to_email,
                        status=status, created_at=transfer.created_at, expires_at=transfer.expires_at,
                        outgoing=outgoing)


def list_transfers(session: Session, user_id: int, *, now: datetime | None = None) -> list[TransferView]:
    """The user's sent transfers (newest first) and the pending ones offered to their address."""
    now = now or utcnow()
    user = load_active_user(session, user_id)
    rows = session.execute(
        select(TicketTransfer).where(or_(
            TicketTransfer.from_user_id == user_id,
            (TicketTransfer.to_email == user.email) & (TicketTransfer.status == TransferStatus.PENDING)))
        .order_by(TicketTransfer.created_at.desc(), TicketTransfer.id.desc()).limit(200)
        .execution_options(populate_existing=True)).scalars().all()
    return [_view(session, t, outgoing=t.from_user_id == user_id, now=now) for t in rows]


