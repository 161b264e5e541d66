"""Append-only audit log. Callers add the entry to their own transaction so it commits (or not) with the change."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Insert, insert
from sqlmodel import Session

from jo_app.models import AuditLog
from jo_app.timeutil import utcnow

_INSERT = insert(AuditLog.__table__)


def details_json(**details: Any) -> str:
    """The `details` column: sorted JSON (statements that write audit rows themselves use it too)."""
    return json.dumps(details, default=str, sort_keys=True)


def _columns(action: str, actor_id: int | None, target_type: str | None, target_id: object | None,
             client_ip: str | None, details: dict[str, Any]) -> dict[str, Any]:
    return {"actor_id": actor_id, "action": action, "target_type": target_type,
            "target_id": None if target_id is None else str(target_id), "client_ip": client_ip,
            "details": details_json(**details)}


def write(session: Session, action: str, *, actor_id: int | None = None, target_type: str | None = None,
          target_id: object | None = None, client_ip: str | None = None, **details: Any) -> None:
    """Like `record`, as one INSERT executed now on the session's transaction (no ORM object: hot paths)."""
    session.connection().execute(_INSERT, {
        "created_at": utcnow(), **_columns(action, actor_id, target_type, target_id, client_ip, details)})


def write_later(session: Session, action: str, *, actor_id: int | None = None, target_type: str | None = None,
                target_id: object | None = None, client_ip: str | None = None, **details: Any) -> tuple[Insert, dict]:
    """Like `write`, as (statement, parameters) for a result-less batch (`sql_batch.Later`): not executed here."""
    return _INSERT, {"created_at": utcnow(), **_columns(action, actor_id, target_type, target_id, client_ip, details)}


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    target_type: str | None = None,
    target_id: object | None = None,
    client_ip: str | None = None,
    **details: Any,
) -> AuditLog:
    """Add an audit entry (e.g. `login.succeeded`, `login.failed`, `order.cancelled`, `gate.scan`)."""
    entry = AuditLog(**_columns(action, actor_id, target_type, target_id, client_ip, details))
    session.add(entry)
    return entry
