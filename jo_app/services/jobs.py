"""The outbox of durable jobs: `enqueue` in the caller's transaction, then claim / progress / finish by a worker.

A job row is written in the SAME transaction as what caused it (the paid order and its confirmation mail): both
commit or neither does, so a crash after the commit cannot lose the mail. Workers (`jo_app.services.job_worker`)
claim one job at a time: on PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED` inside one UPDATE (concurrent workers
never wait for each other nor take the same job); on SQLite the single UPDATE is atomic (one writer at a time).
A claim is a lease (`locked_until`): a worker killed mid-job leaves a lease that expires, and the job is claimed
again. Every call here commits (the worker's own short transactions).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Insert, and_, bindparam, insert, or_, select, update
from sqlmodel import Session

from jo_app.models import OutboxJob
from jo_app.services import events
from jo_app.timeutil import utcnow

MAX_ATTEMPTS = 8
ORDER_CONFIRMATION = "order_confirmation"  # kinds (their code: jo_app.services.job_handlers)
ORDER_CANCELLED = "order_cancelled"
ACCOUNT_CODE = "account_code"  # verification or password reset code (sealed in the payload: services.mail_jobs)
EXISTING_ACCOUNT = "existing_account"
TRANSFER_OFFER = "transfer_offer"  # the acceptance link's token is sealed in the payload
TRANSFER_DONE = "transfer_done"
SEALED_PREFIX = "sealed_"  # payload keys holding a secret (AES-GCM, services.secretbox): dropped once the job ends
_J = OutboxJob.__table__


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    sent: tuple[str, ...]  # Message-IDs already accepted by the SMTP server in earlier attempts
    worker: str


_INSERT = insert(_J)
_INSERT_RETURNING = insert(_J).returning(_J.c.id)


def _row(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    return {"kind": kind, "payload": json.dumps(payload, separators=(",", ":")), "status": "pending", "attempts": 0,
            "run_after": now, "locked_until": None, "locked_by": None, "sent": "[]", "last_error": None,
            "created_at": now, "done_at": None}


def enqueue(session: Session, kind: str, payload: dict[str, Any]) -> int:
    """Write a job in the session's transaction (not committed here); the in-process worker is woken after the
    commit (domain event `JobsQueued`)."""
    job_id = session.connection().execute(_INSERT_RETURNING, _row(kind, payload)).scalar_one()
    events.announce(session, events.JobsQueued(session.get_bind()))
    return int(job_id)


def insert_job(session: Session, kind: str, payload: dict[str, Any]) -> tuple[Insert, dict[str, Any]]:
    """Like `enqueue`, as (statement, parameters) for the transaction's result-less batch (`sql_batch.Later`, sent
    with the COMMIT: the caller must add it); the worker is woken after the commit all the same."""
    events.announce(session, events.JobsQueued(session.get_bind()))
    return _INSERT, _row(kind, payload)


_CLAIM_ATTEMPTS = 3


def claim(session: Session, worker: str, *, lease_seconds: float) -> ClaimedJob | None:
    """Take the oldest runnable job (pending and due, or running with an expired lease) for `lease_seconds`.

    On PostgreSQL, `LIMIT 1 ... FOR UPDATE SKIP LOCKED` returns no row when the row it picked was claimed by a
    worker that committed meanwhile (the row, re-checked, no longer matches and LIMIT does not look further), so
    "nothing" is only believed after a second statement, which sees that commit in its own snapshot."""
    for _attempt in range(_CLAIM_ATTEMPTS):
        row = _claim_once(session, worker, lease_seconds)
        if row is not None:
            return ClaimedJob(int(row.id), row.kind, json.loads(row.payload), int(row.attempts),
                              tuple(json.loads(row.sent or "[]")), worker)
    return None


_NOW = bindparam("now", type_=_J.c.run_after.type)
_RUNNABLE = or_(and_(_J.c.status == "pending", _J.c.run_after <= _NOW),
                and_(_J.c.status == "running", _J.c.locked_until < _NOW))
_CLAIM = (update(_J)  # built once: its construction cost as much CPU as running it
          .where(_J.c.id == select(_J.c.id).where(_RUNNABLE).order_by(_J.c.id).limit(1)
                 .with_for_update(skip_locked=True).scalar_subquery(), _RUNNABLE)
          .values(status="running", locked_until=bindparam("until", type_=_J.c.locked_until.type),
                  locked_by=bindparam("worker"), attempts=_J.c.attempts + 1)
          .returning(_J.c.id, _J.c.kind, _J.c.payload, _J.c.attempts, _J.c.sent))
# the worker's own row: the SET columns come with the parameters (`_update_mine`)
_MINE = update(_J).where(_J.c.id == bindparam("job_id"), _J.c.status == "running",
                         _J.c.locked_by == bindparam("lease_holder"))


def _claim_once(session: Session, worker: str, lease_seconds: float):
    now = utcnow()
    try:
        row = session.connection().execute(
            _CLAIM, {"now": now, "until": now + timedelta(seconds=lease_seconds), "worker": worker}).first()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return row


def _update_mine(session: Session, job: ClaimedJob, values: dict[str, Any]) -> bool:
    """UPDATE the job's row with `values` while this worker holds its lease (commits); whether it did."""
    done = session.connection().execute(_MINE, {"job_id": job.id, "lease_holder": job.worker, **values}).rowcount == 1
    session.commit()
    return done


def _scrubbed(job: ClaimedJob) -> dict[str, Any]:
    """Column values that drop the payload's sealed secrets (nothing when it has none): a finished job keeps no
    code or link, even encrypted."""
    if not any(key.startswith(SEALED_PREFIX) for key in job.payload):
        return {}
    kept = {key: value for key, value in job.payload.items() if not key.startswith(SEALED_PREFIX)}
    return {"payload": json.dumps(kept, separators=(",", ":"))}


def record_sent(session: Session, job: ClaimedJob, message_id: str, *, earlier: Iterable[str] = ()) -> bool:
    """Remember that the SMTP server accepted `message_id` for this job (commits). False when the lease was lost.
    `earlier`: the ids this attempt recorded before (the worker keeps them): only the lease holder writes `sent`,
    so the column is the claimed list plus those, and one UPDATE does (no read first)."""
    return _update_mine(session, job, _sent(job, [*earlier, message_id]))


def _sent(job: ClaimedJob, sent: Iterable[str]) -> dict[str, Any]:
    """The `sent` column with this attempt's accepted ids (nothing when there are none: the column stays)."""
    ids = list(sent)
    return {"sent": json.dumps(list(dict.fromkeys([*job.sent, *ids])))} if ids else {}


def complete(session: Session, job: ClaimedJob, *, sent: Iterable[str] = ()) -> bool:
    """Mark the job done (commits), writing `sent` (this attempt's accepted ids) in the same UPDATE. False when
    another worker took it over (this lease had expired)."""
    return _update_mine(session, job, {"status": "done", "done_at": utcnow(), "locked_until": None, "last_error": None,
                                       **_scrubbed(job), **_sent(job, sent)})


def fail(session: Session, job: ClaimedJob, error: str, *, sent: Iterable[str] = ()) -> str:
    """Give the job back for a later attempt (exponential backoff), or mark it `dead` after MAX_ATTEMPTS (commits);
    `sent`: this attempt's accepted ids (the next attempt skips them). Returns the new status."""
    status = "dead" if job.attempts >= MAX_ATTEMPTS else "pending"
    delay = min(2 ** job.attempts, 600)
    _update_mine(session, job, {"status": status, "run_after": utcnow() + timedelta(seconds=delay),
                                "locked_until": None, "last_error": error[:500],
                                **(_scrubbed(job) if status == "dead" else {}), **_sent(job, sent)})
    return status


def counts(session: Session) -> dict[str, int]:
    """Jobs by status (operators, metrics)."""
    from sqlalchemy import func

    rows = session.connection().execute(select(_J.c.status, func.count()).group_by(_J.c.status)).all()
    session.rollback()
    return {status: int(count) for status, count in rows}
