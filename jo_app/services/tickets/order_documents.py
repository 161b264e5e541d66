"""What the order confirmation mail needs, in two statements: the order with its lines, and every ticket's document.

The mail job used to read the order through the ORM (order, lines, summary: four statements and their entities),
then each ticket's document (one statement per ticket), signing each missing QR payload with a read of the active
key and a COMMIT per ticket. Here: one statement for the order and its lines, one for the tickets, and when
payloads are missing one key read, one batched UPDATE and one COMMIT. No authorization (the job's own order).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from jo_app.models import Event, Offer, Order, OrderItem, Ticket, User
from jo_app.services.errors import NotFoundError
from jo_app.services.tickets import signing, tokens
from jo_app.services.tickets.document import TicketDocument


@dataclass(frozen=True)
class OrderMail:
    """The order as its confirmation mail shows it."""

    order_id: int
    reference: str
    email: str
    total_cents: int
    user_lang: str | None  # the buyer's stored language; None when the account is gone or erased
    lines: tuple[dict, ...]  # `mail.send_order_confirmation`'s lines


_ORDER = (
    select(Order.id, Order.reference, Order.email, Order.total_cents, User.lang, User.anonymized_at,
           Event.title, OrderItem.offer_title, OrderItem.quantity, OrderItem.unit_price_cents, Event.starts_at)
    .select_from(Order)
    .outerjoin(User, User.id == Order.user_id)
    .outerjoin(OrderItem, OrderItem.order_id == Order.id)
    .outerjoin(Event, Event.id == OrderItem.event_id)
    .where(Order.reference == bindparam("reference"), Order.user_id == bindparam("user_id"))
    .order_by(Event.starts_at, OrderItem.id)
)

_TICKETS = (
    select(Ticket.id, Ticket.number, Ticket.event_id, Ticket.persons, Ticket.generated_at, Ticket.qr_id,
           Ticket.ticket_key, Ticket.qr_payload, Ticket.holder_name, Ticket.status, Order.reference,
           Offer.offer_type, Offer.title.label("offer_title"), Event.title, Event.sport, Event.venue, Event.city,
           Event.starts_at, Event.static_qr_enabled)
    .join(Order, Order.id == Ticket.order_id)
    .join(Offer, Offer.id == Ticket.offer_id)
    .join(Event, Event.id == Ticket.event_id)
    .where(Ticket.order_id == bindparam("order_id"))
    .order_by(Ticket.id)
)

_TABLE = Ticket.__table__  # Core statement: an executemany, no ORM synchronisation (no ticket object is loaded)
_STORE_PAYLOAD = (update(_TABLE).where(_TABLE.c.id == bindparam("ticket_id"), _TABLE.c.qr_payload.is_(None))
                  .values(qr_payload=bindparam("payload")))


def read_order(session: Session, user_id: int, reference: str) -> OrderMail:
    """The user's order `reference` with its lines (by event date); NotFoundError when there is none."""
    rows = session.execute(_ORDER, {"reference": str(reference).strip().upper(), "user_id": int(user_id)}).all()
    if not rows:
        raise NotFoundError("Order not found.", code="order_not_found")
    first = rows[0]
    lines = tuple({"event": row[6], "offer": row[7], "quantity": row[8], "unit_price_cents": row[9],
                   "starts_at": row[10]} for row in rows if row[7] is not None)
    lang = None if first[4] is None or first[5] is not None else str(first[4])
    return OrderMail(order_id=first[0], reference=first[1], email=first[2], total_cents=first[3], user_lang=lang,
                     lines=lines)


def ticket_documents(session: Session, order_id: int) -> list[TicketDocument]:
    """Every ticket of the order as printed (by ticket id); signs and stores the missing QR payloads (and then
    commits: a payload is stored before anything carrying it leaves)."""
    rows = session.execute(_TICKETS, {"order_id": order_id}).all()
    payloads = {row.id: row.qr_payload for row in rows}
    missing = [row for row in rows if not row.qr_payload]
    if missing:
        material = signing.get_active_key(session)
        signed = {row.id: tokens.sign_claims(material, tokens.claims_for(row, material.kid)) for row in missing}
        stored = session.connection().execute(_STORE_PAYLOAD, [{"ticket_id": tid, "payload": text}
                                                               for tid, text in signed.items()])
        if stored.rowcount != len(signed):  # another process stored some first: theirs is the one to print
            current = session.execute(select(Ticket.id, Ticket.qr_payload).where(Ticket.id.in_(list(signed))))
            signed = {ticket_id: text for ticket_id, text in current}
        session.commit()
        payloads.update(signed)
    return [TicketDocument(
        ticket_id=row.id, ticket_number=row.number, event_title=row.title, sport=row.sport, venue=row.venue,
        city=row.city, starts_at=row.starts_at, offer_type=row.offer_type, offer_title=row.offer_title,
        persons=row.persons, holder_name=row.holder_name, order_reference=row.reference, status=row.status,
        payload=payloads[row.id], static_qr=row.static_qr_enabled) for row in rows]

