"""What a ticket prints: the `TicketDocument` gathered from the database, and its QR code (matrix, PNG).

No authorization here: callers must check that the requester owns the ticket (or is staff).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime

from qrcode.constants import ERROR_CORRECT_Q
from sqlalchemy import select
from sqlmodel import Session

from jo_app.i18n import text
from jo_app.i18n.formats import paris
from jo_app.models import Event, Offer, Order, Ticket
from jo_app.services.errors import NotFoundError
from jo_app.services.qr_fast import FastQRCode
from jo_app.services.tickets.tokens import ensure_payload

RENDER_VERSION = "3"  # bump when the layout changes, so cached files are rebuilt (3: no QR if static refused)


@dataclass(frozen=True)
class TicketDocument:
    """Everything printed on a ticket (times are naive UTC)."""

    ticket_id: int
    ticket_number: str
    event_title: str
    sport: str
    venue: str
    city: str
    starts_at: datetime
    offer_type: str
    offer_title: str
    persons: int
    holder_name: str
    order_reference: str
    status: str
    payload: str
    static_qr: bool = True  # False: the admin refuses the printed QR for this session (a notice replaces it)

    @property
    def pack_label(self) -> str:
        return pack_label(self.offer_type, "fr")

    @property
    def local_start(self) -> datetime:
        return paris_time(self.starts_at)

    def fingerprint(self, lang: str = "fr") -> str:
        """16 hex chars identifying this exact content in `lang` (cache file names)."""
        fields = {k: str(v) for k, v in dataclasses.asdict(self).items()}
        blob = json.dumps({"v": RENDER_VERSION, "lang": lang, **fields}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def pack_label(offer_type: str, lang: str) -> str:
    """"Solo", "Duo", "Famille" / "Family" (the shop's own words)."""
    try:
        return text(f"shop.type.{offer_type}", lang)
    except KeyError:
        return offer_type.capitalize()


def paris_time(moment: datetime) -> datetime:
    """A naive UTC datetime as an aware Europe/Paris one."""
    return paris(moment)


def _qr(payload: str) -> FastQRCode:
    code = FastQRCode(error_correction=ERROR_CORRECT_Q, box_size=10, border=4)
    code.add_data(payload)  # all characters are QR-alphanumeric: the library picks the dense mode
    code.make(fit=True)
    return code


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR modules, quiet zone included (True = dark)."""
    return _qr(payload).get_matrix()


def qr_png(payload: str, *, box_size: int = 10) -> bytes:
    """The QR code as a black-on-white PNG (error correction Q, 4-module quiet zone)."""
    code = _qr(payload)
    code.box_size = box_size
    image = code.make_image(fill_color="black", back_color="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def load_ticket_document(session: Session, ticket_id: int) -> TicketDocument:
    """Gather a ticket's printable data; creates its QR payload if missing (and then commits). No authorization."""
    row = session.execute(
        select(Ticket, Order.reference, Offer.offer_type, Offer.title, Event)
        .join(Order, Order.id == Ticket.order_id)
        .join(Offer, Offer.id == Ticket.offer_id)
        .join(Event, Event.id == Ticket.event_id)
        .where(Ticket.id == ticket_id)
    ).first()
    if row is None:
        raise NotFoundError("Ticket not found.")
    ticket, reference, offer_type, offer_title, event = row
    if not ticket.qr_payload:
        ensure_payload(session, ticket)
        session.commit()
    assert ticket.id is not None and ticket.qr_payload
    return TicketDocument(
        ticket_id=ticket.id, ticket_number=ticket.number, event_title=event.title, sport=event.sport,
        venue=event.venue, city=event.city, starts_at=event.starts_at, offer_type=offer_type,
        offer_title=offer_title, persons=ticket.persons, holder_name=ticket.holder_name,
        order_reference=reference, status=ticket.status, payload=ticket.qr_payload,
        static_qr=event.static_qr_enabled,
    )
