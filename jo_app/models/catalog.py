"""Catalogue: competition sessions (events) and the packs (offers) sold for them."""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import CheckConstraint, Column, Index, String, Text
from sqlmodel import Field, SQLModel

from jo_app.models.enums import OfferType, check_in
from jo_app.timeutil import utcnow


class Event(SQLModel, table=True):
    """A competition session. Its seat capacity is shared by all its offers.

    `seats_sold` only moves through one conditional UPDATE (see services.checkout), and the CHECK constraints
    make overselling impossible even for a buggy writer.
    """

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="ck_events_capacity_nonnegative"),
        CheckConstraint("seats_sold >= 0 AND seats_sold <= capacity", name="ck_events_seats_within_capacity"),
        Index("ix_events_starts_at", "starts_at"),
        Index("ix_events_sport", "sport"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, sa_column_kwargs={"unique": True}, nullable=False)
    sport: str = Field(max_length=60)
    title: str = Field(max_length=150)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    venue: str = Field(max_length=120)
    city: str = Field(default="Paris", max_length=60)
    starts_at: NaiveDatetime
    capacity: int
    seats_sold: int = 0
    image: str | None = Field(default=None, max_length=255)
    is_published: bool = True
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    updated_at: NaiveDatetime = Field(default_factory=utcnow)

    @property
    def seats_left(self) -> int:
        return self.capacity - self.seats_sold


class Offer(SQLModel, table=True):
    """A pack sold for an event (spec 3.1.2 `Offer`): solo (1 person), duo (2) or family (4)."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint(check_in("offer_type", OfferType), name="ck_offers_type"),
        CheckConstraint("persons IN (1, 2, 4)", name="ck_offers_persons"),
        CheckConstraint("price_cents >= 0", name="ck_offers_price_nonnegative"),
        Index("ix_offers_event_id", "event_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", nullable=False)
    title: str = Field(max_length=100)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    offer_type: str = Field(sa_column=Column(String(16), nullable=False))
    persons: int
    price_cents: int
    image: str | None = Field(default=None, max_length=255)
    is_published: bool = True
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    updated_at: NaiveDatetime = Field(default_factory=utcnow)
