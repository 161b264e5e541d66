"""The gate: validate a scanned QR and admit each ticket exactly once.

`validate_scan` does, in one transaction it commits itself:
1. the scanning user must be an unlocked employee/admin (defense in depth: callers check the role too);
2. signature check of the payload (cached public keys: no DB hit, no AES);
3. one read of the ticket joined with its event (PK lookup) and comparison of qr_id, key commitment, event and
   persons with the database: a re-issued ticket's old QR, or a payload that does not match, is INVALID;
4. status, event and day checks;
5. admission: ONE conditional `UPDATE tickets SET status='used' ... WHERE id=:id AND status='valid'`. Its
   rowcount decides: 1 = this scan admitted the group; 0 = someone else won (re-read: ALREADY_USED/CANCELLED).
   Concurrent scans of one ticket on any number of devices give exactly one VALID, without explicit locks.
Every attempt (whatever its verdict) adds a ScanAttempt row and a `gate.scan` audit entry in that transaction.

Fast path (PostgreSQL): the common case, a genuine valid ticket scanned by staff within its gate window, is one
statement: `WITH admit AS (UPDATE tickets ... FROM events WHERE <every admission condition> RETURNING ...),
INSERT scan_attempts ..., INSERT audit_log ... SELECT FROM admit`, then the key commitment (an HMAC with the
server secret, so checked in Python) and COMMIT. It admits only what the full path above would admit (same
conditions, same conditional UPDATE on `status = 'valid'`); when it returns no row (or the commitment differs) the
transaction is rolled back and the full path runs and gives the precise verdict. SQLite always takes the full path.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, exists, func, insert, literal, or_, select, update
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.models import AuditLog, Event, Role, ScanAttempt, ScanVerdict, Ticket, TicketStatus, User
from jo_app.services import audit
from jo_app.services.errors import PermissionDeniedError, ValidationError
from jo_app.services.keys import key_commitment
from jo_app.services.ticket_tokens import InvalidTokenError, TokenClaims, verify
from jo_app.timeutil import utcnow

PARIS = ZoneInfo("Europe/Paris")
STAFF_ROLES = frozenset({Role.EMPLOYEE.value, Role.ADMIN.value})
GATE_MAX_LENGTH = 60
_MAX_ID = 2**31 - 1  # ids are 32-bit signed integers in the database


@dataclass(frozen=True)
class ScanResult:
    """What the gate screen shows. Ticket details are withheld for INVALID and UNKNOWN_TICKET."""

    verdict: ScanVerdict
    message: str
    reason: str
    ticket_id: int | None = None
    ticket_number: str | None = None
    persons: int | None = None
    event_title: str | None = None
    holder_name: str | None = None
    used_at: datetime | None = None
    used_gate: str | None = None

    @property
    def admitted(self) -> bool:
        return self.verdict == ScanVerdict.VALID


def clean_gate(gate: str) -> str:
    """A gate name: 1-60 characters once stripped."""
    name = (gate or "").strip()
    if not 1 <= len(name) <= GATE_MAX_LENGTH:
        raise ValidationError(f"The gate name must be 1 to {GATE_MAX_LENGTH} characters.", field="gate")
    return name


def _local(moment: datetime) -> str:
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def _persons(count: int) -> str:
    return f"{count} person{'s' if count != 1 else ''}"


# Statements built once (core tables: no ORM overhead on the hot path); executed on the session's connection.
_T, _E, _U = Ticket.__table__, Event.__table__, User.__table__
_STAFF = select(_U.c.role, _U.c.is_locked, _U.c.anonymized_at).where(_U.c.id == bindparam("employee_id"))
_TICKET = (
    select(_T.c.id, _T.c.number, _T.c.event_id, _T.c.persons, _T.c.holder_name, _T.c.qr_id, _T.c.ticket_key,
           _T.c.status, _T.c.used_at, _T.c.used_gate, _E.c.title, _E.c.starts_at)
    .join(_E, _E.c.id == _T.c.event_id)
    .where(_T.c.id == bindparam("ticket_id"))
)
_ADMIT = (
    update(_T)
    .where(_T.c.id == bindparam("ticket_id"), _T.c.status == TicketStatus.VALID.value)
    .values(status=TicketStatus.USED.value, used_at=bindparam("now"), used_by_id=bindparam("employee_id"),
            used_gate=bindparam("gate"))
)
_REREAD = select(_T.c.status, _T.c.used_at, _T.c.used_gate).where(_T.c.id == bindparam("ticket_id"))
_RECORD = insert(ScanAttempt.__table__)


def _fast_admit_statement(for_event: bool):
    """The PostgreSQL one-statement admission (see the module docstring); `for_event` adds the scanner's event.
    Bind names must not be column names of `tickets` (SQLAlchemy would turn them into SET clauses)."""
    staff = exists().where(_U.c.id == bindparam("employee_id"),  # or_ rather than IN: no per-call IN expansion
                           or_(*(_U.c.role == role for role in sorted(STAFF_ROLES))),
                           _U.c.is_locked.is_(False), _U.c.anonymized_at.is_(None))
    conditions = [
        _T.c.id == bindparam("ticket_id"), _T.c.status == TicketStatus.VALID.value, _T.c.event_id == _E.c.id,
        _T.c.qr_id == bindparam("claimed_qr_id"), _T.c.event_id == bindparam("claimed_event_id"),
        _T.c.persons == bindparam("claimed_persons"),
        _E.c.starts_at >= bindparam("earliest_start"), _E.c.starts_at <= bindparam("latest_start"), staff,
    ]
    if for_event:
        conditions.append(_T.c.event_id == bindparam("scanner_event_id"))
    admit = (
        update(_T).where(*conditions)
        .values(status=TicketStatus.USED.value, used_at=bindparam("now"), used_by_id=bindparam("employee_id"),
                used_gate=bindparam("gate"))
        .returning(_T.c.id, _T.c.number, _T.c.event_id, _T.c.persons, _T.c.holder_name, _T.c.ticket_key,
                   _E.c.title)
        .cte("admit")
    )
    record = insert(ScanAttempt.__table__).from_select(
        ["created_at", "ticket_id", "event_id", "employee_id", "gate", "verdict", "detail"],
        select(bindparam("now"), admit.c.id, admit.c.event_id, bindparam("employee_id"), bindparam("gate"),
               literal(ScanVerdict.VALID.value), literal("admitted")),
    ).cte("record")
    audited = insert(AuditLog.__table__).from_select(
        ["created_at", "actor_id", "action", "target_type", "target_id", "details"],
        select(bindparam("now"), bindparam("employee_id"), literal("gate.scan"), literal("ticket"),
               bindparam("target_id"), bindparam("details")).select_from(admit),
    ).cte("audited")
    return select(admit).add_cte(record, audited)


_FAST_ADMIT = {False: _fast_admit_statement(False), True: _fast_admit_statement(True)}


def _gate_window(now: datetime) -> tuple[datetime, datetime]:
    """(earliest, latest) session start for which the gates are open at `now`."""
    settings = get_settings()
    return (now - timedelta(hours=settings.gate_close_hours_after),
            now + timedelta(hours=settings.gate_open_hours_before))


def _fast_admit(session: Session, claims: TokenClaims, *, employee_id: int, gate: str, event_id: int | None,
                now: datetime) -> ScanResult | None:
    """The fast path: VALID with everything recorded (not yet committed), or None (nothing written)."""
    if max(claims.ticket_id, claims.event_id, event_id or 0) > _MAX_ID:
        return None
    earliest, latest = _gate_window(now)
    details = json.dumps({"event_id": claims.event_id, "gate": gate, "reason": "admitted",
                          "verdict": ScanVerdict.VALID.value}, sort_keys=True)
    params = {"ticket_id": claims.ticket_id, "claimed_qr_id": claims.qr_id, "claimed_event_id": claims.event_id,
              "claimed_persons": claims.persons, "earliest_start": earliest, "latest_start": latest,
              "employee_id": employee_id, "gate": gate, "now": now, "scanner_event_id": event_id,
              "target_id": str(claims.ticket_id), "details": details}
    row = session.connection().execute(_FAST_ADMIT[event_id is not None], params).first()
    if row is None:
        return None
    if not hmac.compare_digest(claims.key_commitment, key_commitment(row.ticket_key)):
        session.rollback()  # never admitted: the full path records the precise verdict
        return None
    return ScanResult(ScanVerdict.VALID, f"Admit {_persons(row.persons)}.", "admitted", ticket_id=row.id,
                      ticket_number=row.number, persons=row.persons, event_title=row.title,
                      holder_name=row.holder_name, used_at=now, used_gate=gate)


def _check_employee(session: Session, employee_id: int, gate: str) -> None:
    row = session.connection().execute(_STAFF, {"employee_id": employee_id}).first()
    if row is None or row.role not in STAFF_ROLES or row.is_locked or row.anonymized_at is not None:
        audit.record(session, "gate.scan_refused", actor_id=employee_id if row is not None else None,
                     target_type="user", target_id=employee_id, gate=gate)
        session.commit()
        raise PermissionDeniedError("Only gate staff can validate tickets.")


def _finish(session: Session, result: ScanResult, *, employee_id: int, gate: str, now: datetime,
            ticket_id: int | None, event_id: int | None, detail: str = "") -> ScanResult:
    """Record the attempt (scan_attempts + audit) and commit."""
    session.connection().execute(_RECORD, {
        "created_at": now, "ticket_id": ticket_id, "event_id": event_id, "employee_id": employee_id, "gate": gate,
        "verdict": result.verdict.value, "detail": (detail or result.reason)[:255]})
    audit.record(session, "gate.scan", actor_id=employee_id, target_type="ticket", target_id=ticket_id,
                 verdict=result.verdict.value, reason=result.reason, gate=gate, event_id=event_id)
    session.commit()
    return result


def validate_scan(session: Session, payload: str, *, employee_id: int, gate: str, event_id: int | None = None,
                  now: datetime | None = None) -> ScanResult:
    """Validate one scan and admit the ticket if it is valid. Commits. See the module docstring."""
    gate = clean_gate(gate)
    now = now or utcnow()
    try:
        claims, refusal = verify(session, payload), ""
    except InvalidTokenError as exc:
        claims, refusal = None, exc.reason
    if claims is not None and session.get_bind().dialect.name == "postgresql":
        admitted = _fast_admit(session, claims, employee_id=employee_id, gate=gate, event_id=event_id, now=now)
        if admitted is not None:
            session.commit()
            return admitted
    _check_employee(session, employee_id, gate)

    def done(result: ScanResult, ticket_id: int | None = None, ticket_event: int | None = None,
             detail: str = "") -> ScanResult:
        return _finish(session, result, employee_id=employee_id, gate=gate, now=now, ticket_id=ticket_id,
                       event_id=ticket_event, detail=detail)

    if claims is None:
        return done(ScanResult(ScanVerdict.INVALID, "Not a valid ticket code. Do not admit.", refusal))

    connection = session.connection()
    row = None
    if claims.ticket_id <= _MAX_ID:
        row = connection.execute(_TICKET, {"ticket_id": claims.ticket_id}).first()
    if row is None:
        return done(ScanResult(ScanVerdict.UNKNOWN_TICKET, "Unknown ticket. Do not admit; call a supervisor.",
                               "unknown_ticket"), detail=f"unknown_ticket id={claims.ticket_id}")

    genuine = (
        hmac.compare_digest(claims.qr_id, row.qr_id)
        and hmac.compare_digest(claims.key_commitment, key_commitment(row.ticket_key))
        and claims.event_id == row.event_id
        and claims.persons == row.persons
    )
    if not genuine:
        return done(ScanResult(ScanVerdict.INVALID, "Superseded or forged code (ticket re-issued?). Do not admit.",
                               "superseded"), row.id, row.event_id)

    details = {"ticket_id": row.id, "ticket_number": row.number, "persons": row.persons,
               "event_title": row.title, "holder_name": row.holder_name}
    if row.status == TicketStatus.CANCELLED.value:
        return done(ScanResult(ScanVerdict.CANCELLED, "This ticket was cancelled. Do not admit.", "cancelled",
                               **details), row.id, row.event_id)
    if event_id is not None and event_id != row.event_id:
        return done(ScanResult(ScanVerdict.WRONG_EVENT, f"Ticket for another session: {row.title}.",
                               "wrong_event", **details), row.id, row.event_id)
    earliest, latest = _gate_window(now)
    if not earliest <= row.starts_at <= latest:
        when = "not open yet" if row.starts_at > latest else "closed"
        return done(ScanResult(ScanVerdict.WRONG_DAY, f"Gates for this session are {when} "
                               f"(session starts {_local(row.starts_at)}).", "wrong_day", **details),
                    row.id, row.event_id)

    if row.status == TicketStatus.VALID.value:
        admitted = connection.execute(
            _ADMIT, {"ticket_id": row.id, "now": now, "employee_id": employee_id, "gate": gate}).rowcount
        if admitted == 1:
            return done(ScanResult(ScanVerdict.VALID, f"Admit {_persons(row.persons)}.", "admitted",
                                   used_at=now, used_gate=gate, **details), row.id, row.event_id)
        # Lost the race: read the winner's committed row.
        row = connection.execute(_REREAD, {"ticket_id": row.id}).first() or row
    if row.status == TicketStatus.CANCELLED.value:
        return done(ScanResult(ScanVerdict.CANCELLED, "This ticket was cancelled. Do not admit.", "cancelled",
                               **details), details["ticket_id"], claims.event_id)
    used_at = row.used_at
    where = f" at gate {row.used_gate}" if row.used_gate else ""
    stamp = f" on {_local(used_at)}" if used_at else ""
    return done(ScanResult(ScanVerdict.ALREADY_USED, f"Already used{where}{stamp}. Do not admit.", "already_used",
                           used_at=used_at, used_gate=row.used_gate, **details), details["ticket_id"],
                claims.event_id)


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
    used = Ticket.status == TicketStatus.USED.value
    row = session.execute(
        select(func.coalesce(func.sum(case((used, 1), else_=0)), 0),
               func.coalesce(func.sum(case((used, Ticket.persons), else_=0)), 0),
               func.coalesce(func.sum(Ticket.persons), 0))
        .where(Ticket.event_id == event_id, Ticket.status != TicketStatus.CANCELLED.value)
    ).one()
    return {"admitted_tickets": int(row[0]), "admitted_persons": int(row[1]), "sold_persons": int(row[2])}


def revocations_since(session: Session, since: datetime | None, *, event_id: int | None = None,
                      limit: int = 10_000) -> list[dict]:
    """Cancelled tickets (cancelled_at >= since; all of them when `since` is None), oldest first, for offline
    scanners' block lists.

    Commit order can differ from `cancelled_at` order: scanners should ask again from their last cursor minus a
    margin (e.g. 5 minutes) and de-duplicate by qr_id. Superseded (re-issued) QR codes are refused online only.
    """
    stmt = (select(Ticket.id, Ticket.qr_id, Ticket.event_id, Ticket.cancelled_at)
            .where(Ticket.status == TicketStatus.CANCELLED.value)
            .order_by(Ticket.cancelled_at.asc().nulls_first(), Ticket.id).limit(max(1, limit)))
    if since is not None:
        stmt = stmt.where(Ticket.cancelled_at >= since)
    if event_id is not None:
        stmt = stmt.where(Ticket.event_id == event_id)
    return [{"ticket_id": r.id, "qr_id": r.qr_id, "event_id": r.event_id, "cancelled_at": r.cancelled_at}
            for r in session.execute(stmt)]
