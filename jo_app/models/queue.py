"""Virtual waiting room: a queued on-sale (a group of events opening at once) and its visitors' places."""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from jo_app.timeutil import utcnow


class OnSale(SQLModel, table=True):
    """A queued on-sale: its events (`events.onsale_id`) can only be bought with a pass from its queue.

    Visitors who join before `opens_at` get a random place at opening; later ones queue in arrival order
    (`next_position`). Every tick admits `rate_per_minute` places per minute (`admitted_through`: the last place
    let in; `admit_credit` keeps the fraction), unless `paused`. `closed` ends queuing: the events sell freely.
    """

    __tablename__ = "onsales"
    __table_args__ = (
        CheckConstraint("rate_per_minute > 0", name="ck_onsales_rate_positive"),
        CheckConstraint("pass_minutes > 0", name="ck_onsales_pass_minutes_positive"),
        CheckConstraint("admitted_through >= 0 AND next_position >= 1", name="ck_onsales_counters"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=150)
    opens_at: NaiveDatetime
    rate_per_minute: int
    pass_minutes: int = 15
    paused: bool = False
    closed: bool = False
    opened_at: NaiveDatetime | None = None
    admitted_through: int = 0
    next_position: int = 1
    admit_credit: float = 0.0
    last_tick_at: NaiveDatetime | None = None
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class QueueEntry(SQLModel, table=True):
    """One account's place in an on-sale's queue (one per account: tabs and devices share it)."""

    __tablename__ = "queue_entries"
    __table_args__ = (
        UniqueConstraint("onsale_id", "user_id", name="uq_queue_entries_onsale_user"),
        UniqueConstraint("onsale_id", "position", name="uq_queue_entries_onsale_position"),
        Index("ix_queue_entries_user_id", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    onsale_id: int = Field(foreign_key="onsales.id", nullable=False)
    user_id: int = Field(foreign_key="users.id", nullable=False)
    joined_at: NaiveDatetime = Field(default_factory=utcnow)
    position: int | None = None  # None until the opening draw for those who came early
    admitted_at: NaiveDatetime | None = None
