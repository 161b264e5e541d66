"""The outbox of durable jobs (confirmation mails...): written in the transaction of what caused them."""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import CheckConstraint, Column, Index, Text
from sqlmodel import Field, SQLModel

from jo_app.timeutil import utcnow


class OutboxJob(SQLModel, table=True):
    """One job: `kind` and its JSON `payload`, run by a worker (`jo_app.services.job_worker`).

    `pending` jobs run from `run_after`; a worker claims one by setting `running` with a lease (`locked_until`,
    `locked_by`): a job whose lease expired (its worker died) is claimed again. `sent` lists (JSON) the Message-IDs
    the job's mails already handed to the SMTP server, so a retry never sends those again. `done` and `dead`
    (gave up after too many attempts, `last_error`) are final.
    """

    __tablename__ = "outbox_jobs"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'running', 'done', 'dead')", name="ck_outbox_jobs_status"),
        Index("ix_outbox_jobs_status_run_after", "status", "run_after"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    run_after: NaiveDatetime = Field(default_factory=utcnow)
    locked_until: NaiveDatetime | None = None
    locked_by: str | None = Field(default=None, max_length=80)
    sent: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    last_error: str | None = Field(default=None, max_length=500)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    done_at: NaiveDatetime | None = None
