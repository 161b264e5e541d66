"""The gate's statements, built once (SQLAlchemy Core: no ORM on the hot path). Used by `services.gate.admission`.

`LOOKUP[...]` reads, in one statement, whether the scanning user is active staff and the scanned ticket joined with
its event (a row even when the ticket does not exist). On PostgreSQL, `LOOKUP_AND_ADMIT[...]` is the same read
with the admission folded in: `WITH admit AS (UPDATE tickets ... FROM events WHERE <every admission condition>
RETURNING ...), INSERT scan_attempts ... SELECT FROM admit, INSERT audit_log ... SELECT FROM admit` and an
`admitted` flag; when nothing was admitted its ticket columns show the row as it was before (statement snapshot:
a scan that waited for a concurrent admission still sees status 'valid').
Bind names must not be column names of the updated or inserted tables (SQLAlchemy would add them to SET/VALUES).
"""

from __future__ import annotations

from sqlalchemy import Boolean, bindparam, exists, insert, literal, or_, select, union_all, update

from jo_app.models import AuditLog, Event, Role, ScanAttempt, ScanVerdict, Ticket, TicketRevocation, TicketStatus, User

STAFF_ROLES = frozenset({Role.EMPLOYEE, Role.ADMIN})
_T, _E, _U = Ticket.__table__, Event.__table__, User.__table__
_SCANS, _AUDIT = ScanAttempt.__table__, AuditLog.__table__

_STAFF_OK = exists().where(  # or_ rather than IN: no per-call IN expansion
    _U.c.id == bindparam("employee_id"), or_(*(_U.c.role == role for role in sorted(STAFF_ROLES))),
    _U.c.is_locked.is_(False), _U.c.anonymized_at.is_(None))
_TICKET_COLUMNS = (_T.c.id, _T.c.number, _T.c.event_id, _T.c.persons, _T.c.holder_name, _T.c.qr_id, _T.c.ticket_key,
                   _T.c.status, _T.c.used_at, _T.c.used_gate, _E.c.title, _E.c.starts_at, _E.c.static_qr_enabled)


def _ticket_or_nothing():
    """FROM clause giving exactly one row: the ticket `:ticket_id` with its event, or NULL columns."""
    one = select(literal(1).label("one")).subquery("one")
    return one.outerjoin(_T.join(_E, _E.c.id == _T.c.event_id), _T.c.id == bindparam("ticket_id"))


def _lookup(admitting: bool, for_event: bool):
    if not admitting:
        return select(_STAFF_OK.label("staff_ok"), literal(False).label("admitted"), *_TICKET_COLUMNS
                      ).select_from(_ticket_or_nothing())
    conditions = [
        _T.c.id == bindparam("ticket_id"), _T.c.status == TicketStatus.VALID, _T.c.event_id == _E.c.id,
        _T.c.qr_id == bindparam("claimed_qr_id"),
        # `+ 0`: not an index condition. Otherwise, before the first ANALYZE of a freshly loaded table, the planner
        # may read the ticket through ix_tickets_event_id_status (every valid ticket of the event) instead of a
        # unique index (measured: 1 ms instead of 0.02 ms per scan on 4000 tickets).
        _T.c.event_id + 0 == bindparam("claimed_event_id"),
        _T.c.persons == bindparam("claimed_persons"),
        _E.c.starts_at >= bindparam("earliest_start"), _E.c.starts_at <= bindparam("latest_start"), _STAFF_OK,
        # a live QR (its time code already checked), or a static one where the session still accepts them
        or_(bindparam("live_qr", type_=Boolean), _E.c.static_qr_enabled.is_(True)),
    ]
    if for_event:
        conditions.append(_T.c.event_id + 0 == bindparam("scanner_event_id"))
    admit = (
        update(_T).where(*conditions)
        .values(status=TicketStatus.USED, used_at=bindparam("now"), used_by_id=bindparam("employee_id"),
                used_gate=bindparam("gate"))
        .returning(*_TICKET_COLUMNS)
        .cte("admit")
    )
    record = insert(_SCANS).from_select(
        ["created_at", "ticket_id", "event_id", "employee_id", "gate", "verdict", "detail"],
        select(bindparam("now"), admit.c.id, admit.c.event_id, bindparam("employee_id"), bindparam("gate"),
               literal(ScanVerdict.VALID), literal("admitted")),
    ).cte("record")
    audited = insert(_AUDIT).from_select(
        ["created_at", "actor_id", "action", "target_type", "target_id", "details"],
        select(bindparam("now"), bindparam("employee_id"), literal("gate.scan"), literal("ticket"),
               bindparam("target_id"), bindparam("admitted_details")).select_from(admit),
    ).cte("audited")
    # Admitted: the UPDATE's own row (no second read). Otherwise (the branch is skipped when admit has a row): the
    # staff flag and the ticket as it was.
    admitted_row = select(literal(True).label("staff_ok"), literal(True).label("admitted"), *admit.c)
    other_row = (select(_STAFF_OK.label("staff_ok"), literal(False).label("admitted"), *_TICKET_COLUMNS)
                 .select_from(_ticket_or_nothing()).where(~select(admit.c.id).exists()))
    return union_all(admitted_row, other_row).add_cte(record, audited)


LOOKUP = {for_event: _lookup(False, for_event) for for_event in (False, True)}
LOOKUP_AND_ADMIT = {for_event: _lookup(True, for_event) for for_event in (False, True)}

# The full path's own admission: ONE conditional UPDATE; its row count decides who won.
# The scanned qr_id is part of the condition: a ticket re-keyed (transferred) meanwhile is not admitted by its old QR.
ADMIT = (
    update(_T)
    .where(_T.c.id == bindparam("ticket_id"), _T.c.status == TicketStatus.VALID,
           _T.c.qr_id == bindparam("claimed_qr_id"))
    .values(status=TicketStatus.USED, used_at=bindparam("now"), used_by_id=bindparam("employee_id"),
            used_gate=bindparam("gate"))
)
REREAD = select(_T.c.status, _T.c.used_at, _T.c.used_gate, _T.c.qr_id).where(_T.c.id == bindparam("ticket_id"))
# Why an old QR of a ticket no longer admits (transferred, resold): None when it was never issued.
REVOKED = select(TicketRevocation.__table__.c.reason).where(
    TicketRevocation.__table__.c.ticket_id == bindparam("ticket_id"),
    TicketRevocation.__table__.c.qr_id == bindparam("claimed_qr_id"))

_SCAN_VALUES = {"created_at": bindparam("now"), "ticket_id": bindparam("scan_ticket_id"),
                "event_id": bindparam("scan_event_id"), "employee_id": bindparam("employee_id"),
                "gate": bindparam("gate"), "verdict": bindparam("verdict"), "detail": bindparam("detail")}
RECORD_SCAN = insert(_SCANS).values(_SCAN_VALUES)
# PostgreSQL: the scan row and its audit entry in one statement.
RECORD_SCAN_AND_AUDIT = insert(_AUDIT).values(
    created_at=bindparam("now"), actor_id=bindparam("employee_id"), action="gate.scan", target_type="ticket",
    target_id=bindparam("target_id"), client_ip=None, details=bindparam("audit_details"),
).add_cte(insert(_SCANS).values(_SCAN_VALUES).cte("scan"))
