"""Manual entry at the gate: the ticket number printed on the ticket / PDF (e.g. `T7K3MQ9XD-01`) or the order
reference (`JO24-7K3M-Q9XD`), for a holder whose screen cannot be scanned.

Two steps, so the employee checks the person in front of them before anyone is admitted:
1. `find_tickets` answers the ticket(s) behind the typed text: one ticket for a ticket number, the order's tickets
   for the controlled session for an order reference; each with holder name, persons and status. Nothing found
   is an *unknown* number (never called "forged": no signature was involved).
2. `admit_ticket` admits one of them after the employee confirmed it: the ticket's genuine signed code goes
   through `gate.validate_scan`, the very path of a camera scan (one conditional UPDATE decides; concurrent scans
   and manual entries of one ticket give exactly one VALID), with its ScanAttempt row and `gate.scan` audit entry.

Guessing is throttled per device (the staff session): at most `MAX_MISSES` unknown numbers per `MISS_WINDOW`;
beyond that every lookup is refused until the window has passed. Every lookup, miss, refusal and manual admission
is audited (`gate.manual_lookup`, `gate.manual_miss`, `gate.manual_throttled`, `gate.manual_admit`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from jo_app.models import AuditLog, Event, Order, Role, Ticket, User
from jo_app.services import audit, events
from jo_app.services.errors import DomainError, NotFoundError, PermissionDeniedError
from jo_app.services.gate.admission import ScanResult, clean_gate, validate_scan
from jo_app.services.tickets import rotating_qr
from jo_app.services.tickets import tokens as ticket_tokens
from jo_app.timeutil import utcnow

MAX_MISSES = 10
MISS_WINDOW = timedelta(minutes=10)
MAX_CODE_CHARS = 40
DEVICE_TARGET = "staff_session"
_MAX_ID = 2**31 - 1
_REFERENCE = re.compile(r"^JO24-?([A-Z0-9]{4})-?([A-Z0-9]{4})$")
_STAFF = frozenset({Role.EMPLOYEE, Role.ADMIN})


class TooManyGuessesError(DomainError):
    """This device typed too many unknown numbers recently."""

    code = "too_many_guesses"


@dataclass(frozen=True)
class Candidate:
    """A ticket the employee may admit once they checked the holder."""

    ticket_id: int
    number: str
    holder_name: str
    persons: int
    status: str
    event_id: int
    event_title: str
    starts_at: datetime
    used_at: datetime | None
    used_gate: str | None


@dataclass(frozen=True)
class ManualLookup:
    """`kind`: "ticket" (a printed ticket number), "order" (an order reference) or "unknown" (nothing matched)."""

    kind: str
    code: str
    candidates: tuple[Candidate, ...]


def looks_signed(code: str) -> bool:
    """True for the signed code of a QR / barcode reader (handled by `gate.validate_scan`)."""
    return (code or "").strip().upper().startswith(ticket_tokens.PREFIX)


def normalize(code: str) -> str:
    """Upper case, inner spaces removed, at most MAX_CODE_CHARS characters."""
    return re.sub(r"\s+", "", code or "").upper()[:MAX_CODE_CHARS]


def _require_staff(session: Session, employee_id: int, gate: str) -> None:
    user = session.get(User, employee_id) if 0 < employee_id <= _MAX_ID else None
    if user is None or user.role not in _STAFF or user.is_locked or user.anonymized_at is not None:
        audit.write(session, "gate.manual_refused", actor_id=employee_id if user else None, target_type="user",
                    target_id=employee_id, gate=gate)
        session.commit()
        raise PermissionDeniedError("Only gate staff can admit tickets.")


def recent_misses(session: Session, device_id: int, now: datetime) -> int:
    """Unknown numbers typed on this device (staff session) within MISS_WINDOW."""
    return session.execute(
        select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "gate.manual_miss", AuditLog.target_type == DEVICE_TARGET,
            AuditLog.target_id == str(device_id), AuditLog.created_at > now - MISS_WINDOW)
    ).scalar_one()


def _rows(session: Session, query) -> list[Candidate]:
    rows = session.execute(query.order_by(Ticket.number)).all()
    return [Candidate(ticket_id=t.id, number=t.number, holder_name=t.holder_name, persons=t.persons, status=t.status,
                      event_id=e.id, event_title=e.title, starts_at=e.starts_at, used_at=t.used_at,
                      used_gate=t.used_gate) for t, e in rows]


def _candidates(session: Session, code: str, event_id: int | None) -> tuple[str, list[Candidate]]:
    """A ticket number first (unique), else an order reference (typed with or without its dashes)."""
    if not code:
        return "unknown", []
    query = select(Ticket, Event).join(Event, Event.id == Ticket.event_id)
    found = _rows(session, query.where(Ticket.number == code))
    if found:
        return "ticket", found
    match = _REFERENCE.match(code)
    reference = f"JO24-{match.group(1)}-{match.group(2)}" if match else code
    query = query.join(Order, Order.id == Ticket.order_id).where(Order.reference == reference)
    if event_id is not None:
        query = query.where(Ticket.event_id == event_id)
    found = _rows(session, query)
    return ("order" if found else "unknown"), found


def find_tickets(session: Session, code: str, *, employee_id: int, device_id: int, gate: str,
                 event_id: int | None = None) -> ManualLookup:
    """The ticket(s) behind a typed ticket number / order reference. Audited; commits.

    Raises TooManyGuessesError when this device typed MAX_MISSES unknown numbers within MISS_WINDOW.
    """
    gate = clean_gate(gate)
    _require_staff(session, employee_id, gate)
    text = normalize(code)
    where = {"gate": gate, "event_id": event_id, "code": text}
    if recent_misses(session, device_id, utcnow()) >= MAX_MISSES:
        audit.write(session, "gate.manual_throttled", actor_id=employee_id, target_type=DEVICE_TARGET,
                    target_id=device_id, **where)
        session.commit()
        raise TooManyGuessesError("Too many unknown numbers on this device: wait a few minutes.")
    kind, found = _candidates(session, text, event_id)
    if found:
        audit.write(session, "gate.manual_lookup", actor_id=employee_id, target_type=DEVICE_TARGET,
                    target_id=device_id, kind=kind, tickets=[c.ticket_id for c in found], **where)
    else:
        kind = "unknown"
        audit.write(session, "gate.manual_miss", actor_id=employee_id, target_type=DEVICE_TARGET,
                    target_id=device_id, **where)
        events.announce(session, events.TicketScanned("UNKNOWN_TICKET", None))  # counted like an unknown QR
    session.commit()
    return ManualLookup(kind=kind, code=text, candidates=tuple(found))


def admit_ticket(session: Session, ticket_id: int, *, employee_id: int, device_id: int, gate: str,
                 event_id: int | None = None, now: datetime | None = None) -> ScanResult:
    """Admit a ticket the employee confirmed, through the camera-scan path (see the module docstring). Commits."""
    gate = clean_gate(gate)
    now = now or utcnow()
    _require_staff(session, employee_id, gate)
    ticket = session.get(Ticket, ticket_id) if 0 < ticket_id <= _MAX_ID else None
    if ticket is None:
        audit.write(session, "gate.manual_miss", actor_id=employee_id, target_type=DEVICE_TARGET,
                    target_id=device_id, gate=gate, event_id=event_id, ticket_id=ticket_id)
        session.commit()
        raise NotFoundError("Unknown ticket.")
    # The employee checked the holder: the server's current live code stands for the phone's, so a session that
    # refuses printed (static) QRs still admits by hand (services.tickets.rotating_qr).
    payload = rotating_qr.live_payload(ticket_tokens.ensure_payload(session, ticket), ticket.event_id, ticket.qr_id,
                                       now)
    # Same transaction as the scan below (validate_scan commits): the trail says the admission was typed by hand.
    audit.write(session, "gate.manual_admit", actor_id=employee_id, target_type="ticket", target_id=ticket.id,
                device=device_id, gate=gate, event_id=event_id, number=ticket.number)
    return validate_scan(session, payload, employee_id=employee_id, gate=gate, event_id=event_id, now=now)
