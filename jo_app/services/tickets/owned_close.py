"""Closing an open row its owner started (a pending transfer, a resale listing): one conditional UPDATE, audit, commit.

Shared by `transfers.cancel_transfer` and `resale.withdraw`: the UPDATE matches only the caller's row in its open
status (plus any extra condition), so a concurrent acceptance, sale or second click decides exactly once. When it
matches nothing, someone else's row is reported like an unknown one (no IDOR oracle), an open row refused by the
extra condition gets `still_open`, a row already closed gets `closed`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from jo_app.services import audit, events
from jo_app.services.errors import ConflictError, NotFoundError


def close_owned(session: Session, model: Any, row_id: int, owner_id: int, *, owner: Any, open_status: str,
                values: dict[str, Any], not_found: NotFoundError, closed: ConflictError, action: str,
                target_type: str, client_ip: str | None, extra: tuple[ColumnElement[bool], ...] = (),
                still_open: ConflictError | None = None, announce: events.DomainEvent | None = None) -> None:
    """Set `values` on row `row_id` of `model` if `owner_id` owns it (`owner` column) and it is `open_status`;
    audit `action`, announce `announce` (delivered after the commit) and commit, or roll back and raise."""
    try:
        changed = session.execute(
            update(model).where(model.id == row_id, owner == owner_id, model.status == open_status, *extra)
            .values(**values).execution_options(synchronize_session=False)).rowcount
        if changed != 1:
            row = session.execute(select(owner, model.status).where(model.id == row_id)).first()
            if row is None or row[0] != owner_id:
                raise not_found
            raise still_open if still_open is not None and row[1] == open_status else closed
        audit.record(session, action, actor_id=owner_id, target_type=target_type, target_id=row_id,
                     client_ip=client_ip)
        if announce is not None:
            events.announce(session, announce)
        session.commit()
    except BaseException:
        session.rollback()
        raise
