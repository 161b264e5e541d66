"""Admin reports (read only; the caller checks the admin role): audit log search, user search and anomalies.

Anomalies are computed from the raw records (`login_attempts`, `scan_attempts`) with one narrow query each and
a sliding window in Python, so the SQL is the same on SQLite and PostgreSQL:
- bursts of failed logins for one e-mail address and from one client address;
- bursts of INVALID scans at one gate (forged or altered QR codes being tried);
- the same ticket presented at several gates (a copied ticket doing the rounds).
CSV exports live in `admin_exports`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, select

from jo_app.models import AuditLog, LoginAttempt, Role, ScanAttempt, ScanVerdict, Ticket, User, UserSession
from jo_app.timeutil import utcnow

MAX_PER_PAGE = 200
FAILED_LOGIN_WINDOW = timedelta(minutes=10)
FAILED_LOGIN_THRESHOLD = 5
INVALID_SCAN_WINDOW = timedelta(minutes=5)
INVALID_SCAN_THRESHOLD = 5
DEFAULT_LOOKBACK = timedelta(days=7)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    created_at: datetime
    actor_id: int | None
    actor_email: str
    action: str
    target_type: str
    target_id: str
    client_ip: str
    details: dict


@dataclass(frozen=True)
class AuditPage:
    entries: tuple[AuditEntry, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _start(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, time.min)


def _end_exclusive(value: date | datetime) -> datetime:
    """A date includes its whole day; a datetime is taken as is (inclusive, +1 µs)."""
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1)
    return datetime.combine(value, time.min) + timedelta(days=1)


def _details(raw: str) -> dict:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {"raw": raw}
    return value if isinstance(value, dict) else {"value": value}


def query_audit(session: Session, *, actor: str | int | None = None, action: str | None = None,
                date_from: date | datetime | None = None, date_to: date | datetime | None = None,
                page: int = 1, per_page: int = 50) -> AuditPage:
    """Audit entries, newest first, one page at a time.

    `actor`: a user id (int or digits) or a fragment of the actor's e-mail; `action`: an exact action
    (`login.failed`) or a prefix ending with "." (`login.`, `gate.`); `date_from` / `date_to`: dates (whole
    days, UTC) or datetimes, both inclusive. `page` starts at 1 and is clamped to the last page.
    """
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    query = select(AuditLog, User.email).join(User, User.id == AuditLog.actor_id, isouter=True)
    count = select(func.count()).select_from(AuditLog).join(User, User.id == AuditLog.actor_id, isouter=True)
    conditions = []
    actor_text = str(actor).strip() if actor is not None else ""
    if actor_text:
        if actor_text.isdigit():
            conditions.append(AuditLog.actor_id == int(actor_text))
        else:
            conditions.append(func.lower(User.email).like(_like(actor_text), escape="\\"))
    action_text = (action or "").strip().lower()
    if action_text:
        if action_text.endswith("."):
            prefix = action_text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(AuditLog.action.like(f"{prefix}%", escape="\\"))
        else:
            conditions.append(AuditLog.action == action_text)
    if date_from is not None:
        conditions.append(AuditLog.created_at >= _start(date_from))
    if date_to is not None:
        conditions.append(AuditLog.created_at < _end_exclusive(date_to))
    if conditions:
        query = query.where(*conditions)
        count = count.where(*conditions)
    total = int(session.exec(count).one())
    pages = max(1, -(-total // per_page))
    page = max(1, min(int(page), pages))
    rows = session.exec(query.order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
                        .offset((page - 1) * per_page).limit(per_page))
    entries = tuple(
        AuditEntry(id=log.id, created_at=log.created_at, actor_id=log.actor_id, actor_email=email or "",
                   action=log.action, target_type=log.target_type or "", target_id=log.target_id or "",
                   client_ip=log.client_ip or "", details=_details(log.details))
        for log, email in rows
    )
    return AuditPage(entries=entries, total=total, page=page, per_page=per_page)


def audit_actions(session: Session) -> list[str]:
    """The distinct actions present in the log, sorted (for the filter menu)."""
    return sorted(session.exec(select(AuditLog.action).distinct()))


def search_users(session: Session, text: str | None = None, *, role: Role | str | None = None,
                 limit: int = 50) -> list[dict]:
    """Users whose e-mail, username or name contains `text` (all when empty), optionally of one role.

    Returns dicts {id, email, username, first_name, last_name, role, is_locked, is_verified, anonymized,
    created_at, last_login_at, active_sessions}, e-mail order.
    """
    query = select(User)
    if text and text.strip():
        pattern = _like(text.strip())
        query = query.where(or_(*(func.lower(col).like(pattern, escape="\\")
                                  for col in (User.email, User.username, User.first_name, User.last_name))))
    if role:
        query = query.where(User.role == Role(role).value)
    limit = max(1, min(int(limit), 500))
    users = list(session.exec(query.order_by(User.email).limit(limit).execution_options(populate_existing=True)))
    active: dict[int, int] = {}
    if users:
        now = utcnow()
        rows = session.exec(
            select(UserSession.user_id, func.count())
            .where(UserSession.user_id.in_([u.id for u in users]), UserSession.revoked_at.is_(None),
                   UserSession.expires_at > now)
            .group_by(UserSession.user_id)
        )
        active = {user_id: int(n) for user_id, n in rows}
    return [
        {"id": u.id, "email": u.email, "username": u.username, "first_name": u.first_name,
         "last_name": u.last_name, "role": u.role, "is_locked": u.is_locked, "is_verified": u.is_verified,
         "anonymized": u.anonymized_at is not None, "created_at": u.created_at, "last_login_at": u.last_login_at,
         "active_sessions": active.get(u.id, 0)}
        for u in users
    ]


def _bursts(events: Iterable[tuple[Hashable, datetime]], window: timedelta, threshold: int) -> list[dict]:
    """Per key, the densest window: {key, count (in that window), total, first_at, last_at} when count >=
    threshold. `first_at` / `last_at` bound the densest window. Sorted by count, then key."""
    by_key: dict[Hashable, list[datetime]] = defaultdict(list)
    for key, moment in events:
        by_key[key].append(moment)
    out = []
    for key, moments in by_key.items():
        moments.sort()
        best, best_span, lo = 0, (moments[0], moments[0]), 0
        for hi, moment in enumerate(moments):
            while moment - moments[lo] > window:
                lo += 1
            if hi - lo + 1 > best:
                best, best_span = hi - lo + 1, (moments[lo], moment)
        if best >= threshold:
            out.append({"key": key, "count": best, "total": len(moments), "first_at": best_span[0],
                        "last_at": best_span[1]})
    out.sort(key=lambda b: (-b["count"], str(b["key"])))
    return out


def failed_login_bursts(session: Session, *, since: datetime | None = None,
                        window: timedelta = FAILED_LOGIN_WINDOW,
                        threshold: int = FAILED_LOGIN_THRESHOLD) -> dict[str, list[dict]]:
    """{"by_email": [...], "by_ip": [...]}: keys with at least `threshold` failed logins within `window`."""
    since = since or utcnow() - DEFAULT_LOOKBACK
    rows = list(session.exec(select(LoginAttempt.email, LoginAttempt.client_ip, LoginAttempt.created_at)
                             .where(~LoginAttempt.succeeded, LoginAttempt.created_at >= since)))
    by_email = _bursts(((email, at) for email, _ip, at in rows), window, threshold)
    by_ip = _bursts(((ip, at) for _email, ip, at in rows if ip), window, threshold)
    for burst in by_email:
        burst["email"] = burst.pop("key")
    for burst in by_ip:
        burst["client_ip"] = burst.pop("key")
    return {"by_email": by_email, "by_ip": by_ip}


def invalid_scan_bursts(session: Session, *, since: datetime | None = None, window: timedelta = INVALID_SCAN_WINDOW,
                        threshold: int = INVALID_SCAN_THRESHOLD) -> list[dict]:
    """Gates with at least `threshold` INVALID scans (bad signature, unreadable code) within `window`:
    [{gate, count, total, first_at, last_at}]."""
    since = since or utcnow() - DEFAULT_LOOKBACK
    rows = session.exec(select(ScanAttempt.gate, ScanAttempt.created_at)
                        .where(ScanAttempt.verdict == ScanVerdict.INVALID, ScanAttempt.created_at >= since))
    bursts = _bursts(rows, window, threshold)
    for burst in bursts:
        burst["gate"] = burst.pop("key")
    return bursts


def tickets_at_several_gates(session: Session, *, since: datetime | None = None) -> list[dict]:
    """Tickets presented at two gates or more: [{ticket_id, ticket_number, event_id, gates (sorted), attempts,
    verdicts (sorted, distinct), first_at, last_at}], most gates first."""
    since = since or utcnow() - DEFAULT_LOOKBACK
    rows = session.exec(
        select(ScanAttempt.ticket_id, Ticket.number, Ticket.event_id, ScanAttempt.gate, ScanAttempt.verdict,
               ScanAttempt.created_at)
        .join(Ticket, Ticket.id == ScanAttempt.ticket_id)
        .where(ScanAttempt.ticket_id.is_not(None), ScanAttempt.created_at >= since)
        .order_by(ScanAttempt.created_at, ScanAttempt.id)
    )
    found: dict[int, dict] = {}
    for ticket_id, number, event_id, gate, verdict, at in rows:
        item = found.setdefault(ticket_id, {"ticket_id": ticket_id, "ticket_number": number, "event_id": event_id,
                                            "gates": set(), "verdicts": set(), "attempts": 0, "first_at": at,
                                            "last_at": at})
        item["gates"].add(gate)
        item["verdicts"].add(verdict)
        item["attempts"] += 1
        item["last_at"] = at
    out = [{**item, "gates": sorted(item["gates"]), "verdicts": sorted(item["verdicts"])}
           for item in found.values() if len(item["gates"]) >= 2]
    out.sort(key=lambda i: (-len(i["gates"]), -i["attempts"], i["ticket_number"]))
    return out


def detect_anomalies(session: Session, *, since: datetime | None = None) -> dict[str, list[dict]]:
    """All anomaly lists with the default windows and thresholds: failed_logins_by_email, failed_logins_by_ip,
    invalid_scan_bursts, multi_gate_tickets."""
    logins = failed_login_bursts(session, since=since)
    return {
        "failed_logins_by_email": logins["by_email"],
        "failed_logins_by_ip": logins["by_ip"],
        "invalid_scan_bursts": invalid_scan_bursts(session, since=since),
        "multi_gate_tickets": tickets_at_several_gates(session, since=since),
    }
