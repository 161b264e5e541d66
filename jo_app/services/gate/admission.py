"""The gate: validate a scanned QR and admit each ticket exactly once.

`validate_scan` does, in one transaction it commits itself:
1. signature check of the payload (cached public keys: no database hit);
2. ONE statement (`gate_sql`) reads whether the scanning user is active staff (defense in depth: callers check the
   role too) and the ticket joined with its event. On PostgreSQL the same statement also admits the ticket when
   every condition holds (conditional UPDATE ... WHERE status = 'valid' AND qr_id, event, persons, gate window
   and staff match) and records the VALID attempt (scan row + audit entry): a genuine first scan is BEGIN, one
   statement, the key-commitment check (an HMAC with the server secret, so in Python) and COMMIT;
3. otherwise the verdict is decided here from that row: the payload must match the ticket (qr_id, key commitment,
   event, persons: a re-issued ticket's old QR is INVALID), then status, event and day checks;
4. admission outside the PostgreSQL statement (SQLite; a PostgreSQL scan that lost a race): ONE conditional
   `UPDATE tickets SET status='used' ... WHERE id=:id AND status='valid'`. Its row count decides: 1 = this scan
   admitted the group; 0 = someone else won (re-read: ALREADY_USED / CANCELLED).
Concurrent scans of one ticket on any number of devices give exactly one VALID, without explicit locks. Every
attempt (whatever its verdict) adds a ScanAttempt row and a `gate.scan` audit entry in that transaction.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Row
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.models import ScanVerdict, TicketStatus, User
from jo_app.services import audit, events
from jo_app.services.errors import PermissionDeniedError, ValidationError
from jo_app.services.gate import sql as gate_sql
from jo_app.services.keys import key_commitment
from jo_app.services.tickets import rotating_qr, signing
from jo_app.services.tickets.tokens import InvalidTokenError, TokenClaims, verify
from jo_app.timeutil import utcnow

PARIS = ZoneInfo("Europe/Paris")
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


def _gate_window(now: datetime) -> tuple[datetime, datetime]:
    """(earliest, latest) session start for which the gates are open at `now`."""
    settings = get_settings()
    return (now - timedelta(hours=settings.gate_close_hours_after),
            now + timedelta(hours=settings.gate_open_hours_before))


def _details(verdict: ScanVerdict, reason: str, gate: str, event_id: int | None) -> str:
    """The `gate.scan` audit details (for the statements that write the audit row themselves)."""
    return audit.details_json(event_id=event_id, gate=gate, reason=reason, verdict=verdict.value)


def _lookup(session: Session, claims: TokenClaims | None, *, employee_id: int, gate: str, event_id: int | None,
            now: datetime, live_qr: bool = False, may_admit: bool = True) -> Row:
    """staff_ok, admitted and the ticket columns (None when unknown), in one statement; see the module docstring."""
    connection = session.connection()
    if claims is None or max(claims.ticket_id, claims.event_id, event_id or 0) > _MAX_ID:
        return connection.execute(gate_sql.LOOKUP[False], {"employee_id": employee_id, "ticket_id": None}).one()
    params = {"employee_id": employee_id, "ticket_id": claims.ticket_id}
    if not may_admit or connection.dialect.name != "postgresql":
        return connection.execute(gate_sql.LOOKUP[False], params).one()
    earliest, latest = _gate_window(now)
    params.update(claimed_qr_id=claims.qr_id, claimed_event_id=claims.event_id, claimed_persons=claims.persons,
                  earliest_start=earliest, latest_start=latest, gate=gate, now=now, scanner_event_id=event_id,
                  live_qr=live_qr, target_id=str(claims.ticket_id),
                  admitted_details=_details(ScanVerdict.VALID, "admitted", gate, claims.event_id))
    return connection.execute(gate_sql.LOOKUP_AND_ADMIT[event_id is not None], params).one()


def _refuse_non_staff(session: Session, employee_id: int, gate: str) -> None:
    known = session.get(User, employee_id) is not None if 0 < employee_id <= _MAX_ID else False
    audit.write(session, "gate.scan_refused", actor_id=employee_id if known else None, target_type="user",
                target_id=employee_id, gate=gate)
    session.commit()
    raise PermissionDeniedError("Only gate staff can validate tickets.")


def _record(session: Session, result: ScanResult, *, employee_id: int, gate: str, now: datetime,
            ticket_id: int | None, event_id: int | None, detail: str = "") -> ScanResult:
    """Record the attempt (scan_attempts + audit) and commit."""
    connection = session.connection()
    params = {"now": now, "scan_ticket_id": ticket_id, "scan_event_id": event_id, "employee_id": employee_id,
              "gate": gate, "verdict": result.verdict.value, "detail": (detail or result.reason)[:255]}
    if connection.dialect.name == "postgresql":
        connection.execute(gate_sql.RECORD_SCAN_AND_AUDIT, params | {
            "target_id": None if ticket_id is None else str(ticket_id),
            "audit_details": _details(result.verdict, result.reason, gate, event_id)})
    else:
        connection.execute(gate_sql.RECORD_SCAN, params)
        audit.write(session, "gate.scan", actor_id=employee_id, target_type="ticket", target_id=ticket_id,
                    verdict=result.verdict.value, reason=result.reason, gate=gate, event_id=event_id)
    events.announce(session, events.TicketScanned(result.verdict.value, event_id if result.admitted else None))
    session.commit()
    return result


def _revoked(session: Session, ticket_id: int, qr_id: str) -> bool:
    """Whether `qr_id` is a former QR of the ticket, revoked when it changed hands."""
    found = session.connection().execute(gate_sql.REVOKED, {"ticket_id": ticket_id, "claimed_qr_id": qr_id})
    return found.first() is not None


def _transferred(row: Row) -> ScanResult:
    """The verdict for a former QR of a ticket that changed hands (no holder details: they are someone else's)."""
    return ScanResult(ScanVerdict.TRANSFERRED, "Ticket transferred to another holder: this code is void. "
                      "Do not admit.", "transferred", ticket_id=row.id, ticket_number=row.number,
                      event_title=row.title)


def validate_scan(session: Session, payload: str, *, employee_id: int, gate: str, event_id: int | None = None,
                  now: datetime | None = None) -> ScanResult:
    """Validate one scan and admit the ticket if it is valid. Commits. See the module docstring."""
    gate = clean_gate(gate)
    now = now or utcnow()
    signed, code = rotating_qr.split(payload)
    try:
        claims, refusal = verify(session, signed), ""
    except InvalidTokenError as exc:
        claims, refusal = None, exc.reason
    # A live QR's time code is checked before any admission (no database needed: the secret derives from the
    # signed event id and qr_id). A stale one (screenshot) never admits.
    stale = code is not None and claims is not None and not rotating_qr.code_is_fresh(
        claims.event_id, claims.qr_id, code, now)
    row = _lookup(session, claims, employee_id=employee_id, gate=gate, event_id=event_id, now=now,
                  live_qr=code is not None, may_admit=not stale)
    if not row.staff_ok:
        _refuse_non_staff(session, employee_id, gate)
    genuine = (claims is not None and row.id is not None
               and hmac.compare_digest(claims.qr_id, row.qr_id)
               and hmac.compare_digest(claims.key_commitment, key_commitment(row.ticket_key))
               and claims.event_id == row.event_id and claims.persons == row.persons)
    if row.admitted:
        if genuine:  # admitted and recorded by the lookup statement
            events.announce(session, events.TicketScanned(ScanVerdict.VALID, row.event_id))
            session.commit()
            return ScanResult(ScanVerdict.VALID, f"Admit {_persons(row.persons)}.", "admitted", ticket_id=row.id,
                              ticket_number=row.number, persons=row.persons, event_title=row.title,
                              holder_name=row.holder_name, used_at=now, used_gate=gate)
        session.rollback()  # the key commitment differs: undo that admission; recorded as INVALID below

    def done(result: ScanResult, ticket_id: int | None = None, ticket_event: int | None = None,
             detail: str = "") -> ScanResult:
        return _record(session, result, employee_id=employee_id, gate=gate, now=now, ticket_id=ticket_id,
                       event_id=ticket_event, detail=detail)

    if claims is None:
        return done(ScanResult(ScanVerdict.INVALID, "Not a valid ticket code. Do not admit.", refusal))
    if row.id is None:
        return done(ScanResult(ScanVerdict.UNKNOWN_TICKET, "Unknown ticket. Do not admit; call a supervisor.",
                               "unknown_ticket"), detail=f"unknown_ticket id={claims.ticket_id}")
    if not genuine and _revoked(session, row.id, claims.qr_id):
        return done(_transferred(row), row.id, row.event_id)
    if not genuine:
        return done(ScanResult(ScanVerdict.INVALID, "Superseded or forged code (ticket re-issued?). Do not admit.",
                               "superseded"), row.id, row.event_id)

    if stale:
        return done(ScanResult(ScanVerdict.CODE_EXPIRED, "Screenshot or expired live code: ask to see the live "
                               "ticket page. Do not admit.", "code_expired", ticket_id=row.id,
                               ticket_number=row.number, event_title=row.title), row.id, row.event_id)
    if code is None and not row.static_qr_enabled:
        return done(ScanResult(ScanVerdict.STATIC_REFUSED, "Printed or static QR not accepted for this session: "
                               "ask to see the live ticket page. Do not admit.", "static_refused",
                               ticket_id=row.id, ticket_number=row.number, event_title=row.title),
                    row.id, row.event_id)
    details = {"ticket_id": row.id, "ticket_number": row.number, "persons": row.persons,
               "event_title": row.title, "holder_name": row.holder_name}
    if row.status == TicketStatus.CANCELLED:
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

    status, used_at, used_gate = row.status, row.used_at, row.used_gate
    if status == TicketStatus.VALID:
        connection = session.connection()
        admitted = connection.execute(gate_sql.ADMIT, {"ticket_id": row.id, "now": now, "employee_id": employee_id,
                                                       "gate": gate, "claimed_qr_id": claims.qr_id}).rowcount
        if admitted == 1:
            return done(ScanResult(ScanVerdict.VALID, f"Admit {_persons(row.persons)}.", "admitted",
                                   used_at=now, used_gate=gate, **details), row.id, row.event_id)
        # Lost the race: read the winner's committed row (a scan, or a transfer that re-keyed the ticket).
        status, used_at, used_gate, current_qr_id = connection.execute(gate_sql.REREAD, {"ticket_id": row.id}).one()
        if current_qr_id != claims.qr_id:
            return done(_transferred(row), row.id, row.event_id)
    if status == TicketStatus.CANCELLED:
        return done(ScanResult(ScanVerdict.CANCELLED, "This ticket was cancelled. Do not admit.", "cancelled",
                               **details), row.id, row.event_id)
    where = f" at gate {used_gate}" if used_gate else ""
    stamp = f" on {_local(used_at)}" if used_at else ""
    return done(ScanResult(ScanVerdict.ALREADY_USED, f"Already used{where}{stamp}. Do not admit.", "already_used",
                           used_at=used_at, used_gate=used_gate, **details), row.id, row.event_id)


def warm_up(session: Session, *, runs: int = 6) -> None:
    """Make the first scans after a start as fast as the next ones. Changes nothing.

    Loads the verification keys into their cache, then runs the lookup statements `runs` times for a ticket and
    a scanner that cannot exist (id 0: nothing is admitted, nothing recorded). That compiles them once for the
    process and, on PostgreSQL, plans them on this connection and prepares them there at the sixth run (psycopg
    prepares a statement once it has run `prepare_threshold` = 5 times), as a busy connection would have.
    Measured: the first scan of a fresh worker took ~13 ms instead of ~3 ms, and a gate opening (16 devices at
    once) then waited 50-90 ms. Ends with a COMMIT of that empty transaction: on a ROLLBACK psycopg deallocates
    every prepared statement of the connection."""
    for key in signing.public_keys(session):
        signing.verification_key(session, key["kid"])
    claims = TokenClaims(kid=0, ticket_id=0, event_id=0, persons=1, generated_at=utcnow(), qr_id="0" * 16,
                         key_commitment=bytes(10))
    for _ in range(runs):
        for event_id in (None, 0):
            _lookup(session, claims, employee_id=0, gate="warm-up", event_id=event_id, now=utcnow())
    session.commit()
