"""Re-keying a ticket for a new owner (transfer, resale): new keys, new QR, the old QR revoked, in one step.

The spec's double key is kept: the new ticket key is HMAC(server secret, new owner's user key | a fresh purchase
key for this change of hands | ticket identity). A fresh `qr_id` kills the old QR online at once (the gate compares
it), and the old qr_id goes to `ticket_revocations` so the gate answers TRANSFERRED and offline scanners can block it.

Race-free: ONE conditional UPDATE on (id, current owner, status valid, current qr_id). A concurrent scan (whose
admission UPDATE also requires status valid and the scanned qr_id), transfer or resale of the same ticket waits on
the row lock; after the first commits, the other's condition no longer holds. So exactly one of them wins and a
ticket never has two admitting QR codes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, update
from sqlmodel import Session

from jo_app.models import RevocationReason, Ticket, TicketRevocation, TicketStatus, User
from jo_app.services import keys
from jo_app.services.errors import ConflictError


@dataclass(frozen=True)
class Rekeyed:
    ticket_id: int
    old_qr_id: str
    new_qr_id: str


def rekey(session: Session, ticket: Ticket, new_owner: User, *, expected_owner_id: int, reason: RevocationReason,
          holder_first: str, holder_last: str, now: datetime, order_id: int | None = None,
          purchase_key: str | None = None) -> Rekeyed:
    """Give `ticket` to `new_owner` (in the caller's transaction; the caller commits), moving it to `order_id` with
    that order's `purchase_key` when given (resale) or under a fresh purchase key (transfer). ConflictError
    `ticket_changed` when the ticket was used, cancelled or re-keyed meanwhile (nothing written then)."""
    assert ticket.id is not None and new_owner.id is not None
    purchase_key = purchase_key or keys.generate_purchase_key()
    moved = {"order_id": order_id} if order_id is not None else {}
    new_qr_id = secrets.token_hex(8)
    identity = f"{ticket.number}:{new_qr_id}"
    changed = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.user_id == expected_owner_id,
               Ticket.status == TicketStatus.VALID, Ticket.qr_id == ticket.qr_id)
        .values(user_id=new_owner.id, user_key=new_owner.security_key, purchase_key=purchase_key,
                ticket_key=keys.derive_ticket_key(new_owner.security_key, purchase_key, identity),
                qr_id=new_qr_id, qr_payload=None, generated_at=now.replace(microsecond=0),
                holder_first_name=holder_first, holder_last_name=holder_last,
                holder_name=f"{holder_first} {holder_last}"[:110], **moved)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise ConflictError("This ticket was used, cancelled or changed hands meanwhile.", code="ticket_changed")
    session.execute(insert(TicketRevocation).values(ticket_id=ticket.id, qr_id=ticket.qr_id, reason=reason.value,
                                                    created_at=now))
    return Rekeyed(ticket_id=ticket.id, old_qr_id=ticket.qr_id, new_qr_id=new_qr_id)
