"""Official resale at face value: a ticket listed by its owner, sold through the normal checkout."""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import CheckConstraint, Column, Index, text
from sqlmodel import Field, SQLModel

from jo_app.models.enums import ListingStatus, check_in, enum_type
from jo_app.timeutil import utcnow


class ResaleListing(SQLModel, table=True):
    """A ticket offered back at its face value. At most one LISTED listing per ticket (partial unique index).

    Checkout claims listed rows of the bought offer with `SELECT ... FOR UPDATE SKIP LOCKED` (services.tickets.resale),
    so concurrent buyers never wait on each other and a listing is sold once. A buyer's cart holds a listing like
    seats (`held_cart_id` until `held_until`, services.tickets.resale_holds): while the hold lives nobody else gets it
    and its seller cannot withdraw it.
    """

    __tablename__ = "resale_listings"
    __table_args__ = (
        CheckConstraint(check_in("status", ListingStatus), name="ck_resale_listings_status"),
        CheckConstraint("price_cents >= 0 AND fee_cents >= 0 AND fee_cents <= price_cents",
                        name="ck_resale_listings_amounts"),
        Index("ix_resale_listings_offer_status", "offer_id", "status"),
        Index("ix_resale_listings_event_status", "event_id", "status"),
        Index("ix_resale_listings_ticket_id", "ticket_id"),
        Index("ix_resale_listings_held_cart_id", "held_cart_id"),
        Index("uq_resale_listings_one_listed", "ticket_id", unique=True,
              postgresql_where=text("status = 'listed'"), sqlite_where=text("status = 'listed'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", nullable=False)
    seller_id: int = Field(foreign_key="users.id", nullable=False)
    event_id: int = Field(foreign_key="events.id", nullable=False)
    offer_id: int = Field(foreign_key="offers.id", nullable=False)
    persons: int
    price_cents: int  # face value: what the seller paid for this pack
    fee_cents: int = 0  # kept by the organiser on sale
    status: ListingStatus = Field(default=ListingStatus.LISTED,
                                  sa_column=Column(enum_type(ListingStatus), nullable=False))
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    decided_at: NaiveDatetime | None = None
    buyer_id: int | None = Field(default=None, foreign_key="users.id")
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    refund_reference: str | None = Field(default=None, max_length=40)
    held_cart_id: int | None = Field(default=None, foreign_key="carts.id")  # the cart holding it (see holds)
    held_until: NaiveDatetime | None = None  # the hold's end (an expired hold is void: anyone may take it)
