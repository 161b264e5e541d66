"""Carts and orders (spec 3.1.3 `Order`, `OrderItem`, and `Cart`/`CartItem`)."""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from jo_app.models.enums import OrderStatus, check_in, enum_type
from jo_app.timeutil import utcnow


class Cart(SQLModel, table=True):
    """A user's cart; kept in the database so it survives restarts and devices."""

    __tablename__ = "carts"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", nullable=False, sa_column_kwargs={"unique": True})
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    updated_at: NaiveDatetime = Field(default_factory=utcnow)


class CartItem(SQLModel, table=True):
    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("cart_id", "offer_id", name="uq_cart_items_cart_offer"),
        CheckConstraint("quantity > 0", name="ck_cart_items_quantity_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cart_id: int = Field(foreign_key="carts.id", nullable=False)
    offer_id: int = Field(foreign_key="offers.id", nullable=False)
    quantity: int
    added_at: NaiveDatetime = Field(default_factory=utcnow)


class SeatHold(SQLModel, table=True):
    """Seats held for one cart line until `expires_at` (counted in `events.seats_held`).

    Whoever deletes a hold row owns its seats and must move them in the same transaction (release them from
    `events.seats_held`, or turn them into sold seats): see services.orders.holds.
    """

    __tablename__ = "seat_holds"
    __table_args__ = (
        UniqueConstraint("cart_id", "offer_id", name="uq_seat_holds_cart_offer"),
        CheckConstraint("seats > 0", name="ck_seat_holds_seats_positive"),
        Index("ix_seat_holds_event_expires", "event_id", "expires_at"),
        Index("ix_seat_holds_expires_at", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cart_id: int = Field(foreign_key="carts.id", nullable=False)
    offer_id: int = Field(foreign_key="offers.id", nullable=False)
    event_id: int = Field(foreign_key="events.id", nullable=False)
    seats: int
    expires_at: NaiveDatetime
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(check_in("status", OrderStatus), name="ck_orders_status"),
        CheckConstraint("total_cents >= 0", name="ck_orders_total_nonnegative"),
        UniqueConstraint("user_id", "idempotency_key", name="uq_orders_user_idempotency"),
        Index("ix_orders_user_id", "user_id"),
        Index("ix_orders_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", nullable=False)
    reference: str = Field(max_length=20, sa_column_kwargs={"unique": True}, nullable=False)
    total_cents: int
    status: OrderStatus = Field(default=OrderStatus.PENDING, sa_column=Column(enum_type(OrderStatus), nullable=False))
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    paid_at: NaiveDatetime | None = None
    cancelled_at: NaiveDatetime | None = None
    purchase_key: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    email: str = Field(max_length=254)
    idempotency_key: str | None = Field(default=None, max_length=64)
    payment_reference: str | None = Field(default=None, max_length=40)
    card_last4: str | None = Field(default=None, max_length=4)


class OrderItem(SQLModel, table=True):
    """One line of an order; price and persons are copied so later catalogue edits do not rewrite history."""

    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_order_items_quantity_positive"),
        Index("ix_order_items_order_id", "order_id"),
        Index("ix_order_items_offer_id", "offer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", nullable=False)
    offer_id: int = Field(foreign_key="offers.id", nullable=False)
    event_id: int = Field(foreign_key="events.id", nullable=False)
    offer_type: str = Field(max_length=16)
    offer_title: str = Field(max_length=100)
    persons: int
    quantity: int
    unit_price_cents: int
