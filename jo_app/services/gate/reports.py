"""Gate read side: recent scans, admissions per event, and the revocation list for offline scanners."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlmodel import Session

from jo_app.models import ScanAttempt, Ticket, TicketRevocation, TicketStatus


def recent_scans(session: Session, *, employee_id: int | None = None, gate: str | None = None,
                 limit: int = 20) -> list[dict]:
    """The latest scan attempts (newest first), optionally for one employee and/or gate."""
    stmt = (select(ScanAttempt, Ticket.number, Ticket.persons)
            .outerjoin(Ticket, Ticket.id == ScanAttempt.ticket_id)
            .order_by(ScanAttempt.created_at.desc(), ScanAttempt.id.desc())
            .limit(max(1, min(limit, 200))))
    if employee_id is not None:
        stmt = stmt.where(ScanAttempt.employee_id == employee_id)
    if gate is not None:
        stmt = stmt.where(ScanAttempt.gate == gate.strip())
    return [
        {"id": a.id, "created_at": a.created_at, "verdict": a.verdict, "gate": a.gate, "ticket_id": a.ticket_id,
         "ticket_number": number, "persons": persons, "event_id": a.event_id, "employee_id": a.employee_id,
         "detail": a.detail}
        for a, number, persons in session.execute(stmt)
    ]


def admission_counts(session: Session, event_id: int) -> dict[str, int]:
    """Admitted tickets and persons for an event, and persons sold (valid + used tickets)."""
    used = Ticket.status == TicketStatus.USED
    row = session.execute(
        select(func.coalesce(func.sum(case((used, 1), else_=0)), 0),
               func.coalesce(func.sum(case((used, Ticket.persons), else_=0)), 0),
               func.coalesce(func.sum(Ticket.persons), 0))
        .where(Ticket.event_id == event_id, Ticket.status != TicketStatus.CANCELLED)
    ).one()
    return {"admitted_tickets": int(row[0]), "admitted_persons": int(row[1]), "sold_persons": int(row[2])}


def revocations_since(session: Session, since: datetime | None, *, event_id: int | None = None,
                      limit: int = 10_000) -> list[dict]:
    """Cancelled tickets (cancelled_at >= since; all of them when `since` is None) and the former QR ids of tickets
    that changed hands (transfer, resale; `cancelled_at` is then the revocation time), oldest first, for offline
    scanners' block lists (they block by qr_id).

    Commit order can differ from `cancelled_at` order: scanners should ask again from their last cursor minus a
    margin (e.g. 5 minutes) and de-duplicate by qr_id. Other superseded QR codes are refused online only.
    """
    stmt = (select(Ticket.id, Ticket.qr_id, Ticket.event_id, Ticket.cancelled_at)
            .where(Ticket.status == TicketStatus.CANCELLED)
            .order_by(Ticket.cancelled_at.asc().nulls_first(), Ticket.id).limit(max(1, limit)))
    if since is not None:
        stmt = stmt.where(Ticket.cancelled_at >= since)
    if event_id is not None:
        stmt = stmt.where(Ticket.event_id == event_id)
    rows = [{"ticket_id": r.id, "qr_id": r.qr_id, "event_id": r.event_id, "cancelled_at": r.cancelled_at}
            for r in session.execute(stmt)]
    revoked = (select(TicketRevocation.ticket_id, TicketRevocation.qr_id, Ticket.event_id, TicketRevocation.created_at)
               .join(Ticket, Ticket.id == TicketRevocation.ticket_id)
               .order_by(TicketRevocation.created_at, TicketRevocation.id).limit(max(1, limit)))
    if since is not None:
        revoked = revoked.where(TicketRevocation.created_at >= since)
    if event_id is not None:
        revoked = revoked.where(Ticket.event_id == event_id)
    rows += [{"ticket_id": r[0], "qr_id": r[1], "event_id": r[2], "cancelled_at": r[3]}
             for r in session.execute(revoked)]
    rows.sort(key=lambda row: (row["cancelled_at"] is not None, row["cancelled_at"] or datetime.min, row["ticket_id"]))
    return rows[:max(1, limit)]
