"""The owner's live QR image (signed payload + current time code), computed on demand for the ticket page.

Cost: one ownership query, one HMAC and one QR render per request; the page asks once per step (15 s) per
displayed ticket. Renders are memoised per (ticket, qr id, step) so several tabs of one owner share them.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlmodel import Session

from jo_app.models import TicketStatus
from jo_app.services.errors import ConflictError
from jo_app.services.tickets import render as ticket_render
from jo_app.services.tickets import rotating_qr
from jo_app.services.tickets.holders import owned_ticket
from jo_app.services.tickets.tokens import ensure_payload
from jo_app.timeutil import utcnow

BOX_SIZE = 8


@lru_cache(maxsize=512)
def _render(text: str) -> bytes:
    return ticket_render.qr_png(text, box_size=BOX_SIZE)


def live_text(session: Session, user_id: int, ticket_id: int, *, now: datetime | None = None) -> str:
    """The live QR text of one of the user's VALID tickets (NotFoundError: not theirs; ConflictError: not valid)."""
    ticket, _event = owned_ticket(session, user_id, ticket_id)
    if ticket.status != TicketStatus.VALID:
        raise ConflictError("This ticket no longer admits anyone.", code="ticket_not_valid")
    if not ticket.qr_payload:
        ensure_payload(session, ticket)
        session.commit()
    assert ticket.qr_payload
    return rotating_qr.live_payload(ticket.qr_payload, ticket.event_id, ticket.qr_id, now or utcnow())


def live_png(session: Session, user_id: int, ticket_id: int, *, now: datetime | None = None) -> bytes:
    """The live QR as a PNG (black on white, error correction Q)."""
    return _render(live_text(session, user_id, ticket_id, now=now))
