"""Catalogue: competition sessions (events) and the packs (offers) sold for them."""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import Boolean, CheckConstraint, Column, Index, Integer, Text, text
from sqlmodel import Field, SQLModel

from jo_app.models.enums import OfferType, check_in, enum_type
from jo_app.timeutil import utcnow


class Event(SQLModel, table=True):
    """A competition session. Its seat capacity is shared by all its offers.

    `seats_sold` only moves through one conditional UPDATE (see services.orders.checkout); `seats_held` counts the seats
    of live cart holds (`SeatHold` rows, services.orders.holds). The CHECK constraints make overselling impossible even
    for a buggy writer: sold + held never passes the capacity.
    """

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="ck_events_capacity_nonnegative"),
        CheckConstraint("seats_sold >= 0 AND seats_sold <= capacity", name="ck_events_seats_within_capacity"),
        CheckConstraint("resale_fee_bps >= 0 AND resale_fee_bps <= 5000", name="ck_events_resale_fee"),
        CheckConstraint("seats_held >= 0 AND seats_sold + seats_held <= capacity",
                        name="ck_events_seats_held_within_capacity"),
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
    seats_held: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    onsale_id: int | None = Field(default=None, foreign_key="onsales.id")  # a queued on-sale (waiting room)
    image: str | None = Field(default=None, max_length=255)
    is_published: bool = True
    # False: the gate refuses the static QR (PDF, print) and admits only the owner's live QR
    # (services.tickets.rotating_qr).
    static_qr_enabled: bool = Field(default=True, sa_column=Column(Boolean, nullable=False,
                                                                   server_default=text("true")))
    # Official resale at face value (services.tickets.resale): open for this session or not, and the organiser's fee.
    resale_enabled: bool = Field(default=False, sa_column=Column(Boolean, nullable=False,
                                                                 server_default=text("false")))
    resale_fee_bps: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    updated_at: NaiveDatetime = Field(default_factory=utcnow)

    @property
    def seats_left(self) -> int:
        return self.capacity - self.seats_sold - self.seats_held


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
    offer_type: OfferType = Field(sa_column=Column(enum_type(OfferType), nullable=False))
    persons: int
    price_cents: int
    image: str | None = Field(default=None, max_length=255)
    is_published: bool = True
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    updated_at: NaiveDatetime = Field(default_factory=utcnow)
