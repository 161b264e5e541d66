"""Named holders: the owner of a ticket names the person it admits (one name per ticket, duo/family included).

The name is printed on the PDF, shown on the ticket page and in the gate verdict (the employee compares it with an
ID when asked). It can be changed until `HOLDER_CHANGE_CUTOFF_HOURS` before the session, on a valid ticket only.
The change is one conditional UPDATE on (id, owner, status valid): a ticket transferred or scanned at the same
moment is never renamed by its former owner.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.models import Event, Ticket, TicketStatus
from jo_app.services import audit
from jo_app.services.errors import ConflictError, NotFoundError, ValidationError
from jo_app.timeutil import utcnow

NAME_MAX = 50
# A holder name: at least one letter and no control / invisible formatting character. The same pattern is the REST
# schema's (`api.v1.ownership`), written for both Python's `re` and pydantic's regex engine.
_INVISIBLE = r"\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff"
NAME_PATTERN = rf"^[^{_INVISIBLE}]*[^\W\d_][^{_INVISIBLE}]*$"
_NAME = re.compile(NAME_PATTERN)


@dataclass(frozen=True)
class Holder:
    ticket_id: int
    first_name: str
    last_name: str
    full_name: str


def change_deadline(starts_at: datetime) -> datetime:
    """The last moment (naive UTC) holders can be changed or the ticket transferred."""
    return starts_at - timedelta(hours=get_settings().holder_change_cutoff_hours)


def changes_open(starts_at: datetime, now: datetime | None = None) -> bool:
    return (now or utcnow()) < change_deadline(starts_at)


def clean_name(value: str | None, field: str) -> str:
    """A person's name part: 1-50 characters once spaces are collapsed, letters required, no control characters."""
    text = " ".join(unicodedata.normalize("NFC", value or "").split())
    if not 1 <= len(text) <= NAME_MAX:
        raise ValidationError(f"Enter 1 to {NAME_MAX} characters.", code="invalid_name", field=field)
    if not _NAME.fullmatch(text):
        raise ValidationError("Enter a real name.", code="invalid_name", field=field)
    return text


def full_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}"[:110]


def owned_ticket(session: Session, user_id: int, ticket_id: int, *, lock: bool = False) -> tuple[Ticket, Event]:
    """The user's ticket with its event; NotFoundError when unknown or someone else's (no difference shown)."""
    if not isinstance(ticket_id, int) or not 0 < ticket_id < 2**31:
        raise NotFoundError("Ticket not found.", code="ticket_not_found")
    query = (select(Ticket, Event).join(Event, Event.id == Ticket.event_id)
             .where(Ticket.id == ticket_id, Ticket.user_id == user_id)
             .execution_options(populate_existing=True))
    if lock:
        query = query.with_for_update(of=Ticket)
    row = session.execute(query).first()
    if row is None:
        raise NotFoundError("Ticket not found.", code="ticket_not_found")
    return row[0], row[1]


def check_changeable(ticket: Ticket, event: Event, now: datetime) -> None:
    """Refuse changes of a used/cancelled ticket or after the cut-off (ConflictError with a stable code)."""
    if ticket.status != TicketStatus.VALID:
        raise ConflictError("This ticket can no longer be changed (used or cancelled).", code="ticket_not_valid")
    if not changes_open(event.starts_at, now):
        raise ConflictError("Too late: changes close "
                            f"{get_settings().holder_change_cutoff_hours} h before the session.", code="cutoff_passed")


def set_holder(session: Session, user_id: int, ticket_id: int, first_name: str, last_name: str, *,
               now: datetime | None = None, client_ip: str | None = None) -> Holder:
    """Name the holder of one of the user's tickets. Commits. NotFoundError / ValidationError / ConflictError."""
    now = now or utcnow()
    try:
        ticket, event = owned_ticket(session, user_id, ticket_id)  # first: someone else's ticket is just 404
        first, last = clean_name(first_name, "first_name"), clean_name(last_name, "last_name")
        check_changeable(ticket, event, now)
        name = full_name(first, last)
        changed = session.execute(
            update(Ticket).where(Ticket.id == ticket_id, Ticket.user_id == user_id,
                                 Ticket.status == TicketStatus.VALID, Ticket.qr_id == ticket.qr_id)
            .values(holder_first_name=first, holder_last_name=last, holder_name=name)
            .execution_options(synchronize_session=False)).rowcount
        if changed != 1:  # transferred, scanned or cancelled meanwhile
            raise ConflictError("This ticket changed meanwhile; reload the page.", code="ticket_changed")
        audit.record(session, "ticket.holder_set", actor_id=user_id, target_type="ticket", target_id=ticket_id,
                     client_ip=client_ip, previous=ticket.holder_name, holder=name)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return Holder(ticket_id=ticket_id, first_name=first, last_name=last, full_name=name)
