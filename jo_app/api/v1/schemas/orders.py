"""API models of orders and tickets."""

from __future__ import annotations

from pydantic import BaseModel, Field

from jo_app.api.v1.schemas.common import Id, Input, Int, UtcDatetime


class CardIn(Input):
    number: str = Field(min_length=1, max_length=40, examples=["4242 4242 4242 4242"])
    exp_month: Int = Field(ge=1, le=12)
    exp_year: Int = Field(ge=2000, le=2100)
    cvc: str = Field(min_length=1, max_length=8)
    holder: str = Field(default="", max_length=100)


class OrderItemIn(Input):
    offer_id: Id
    quantity: Int = Field(ge=1, le=100)


class OrderCreate(Input):
    card: CardIn
    items: list[OrderItemIn] | None = Field(
        default=None, min_length=1, max_length=20,
        description="Buy these packs directly (the cart is left as it was). Omit to pay the cart.")
    send_confirmation: bool = Field(default=True, description="E-mail the confirmation with the PDF tickets.")


class OrderCreated(BaseModel):
    order_id: int
    reference: str
    total_cents: int
    ticket_ids: list[int]
    created: bool = Field(description="False when this Idempotency-Key had already produced the order.")


class OrderSummaryOut(BaseModel):
    reference: str
    status: str
    total_cents: int
    created_at: UtcDatetime
    paid_at: UtcDatetime | None
    cancelled_at: UtcDatetime | None
    packs: int
    persons: int


class OrderLineOut(BaseModel):
    offer_id: int
    event_id: int
    event_title: str
    event_starts_at: UtcDatetime
    offer_type: str
    offer_title: str
    persons: int
    quantity: int
    unit_price_cents: int
    line_total_cents: int


class TicketOut(BaseModel):
    id: int
    number: str
    order_reference: str
    event_id: int
    event_title: str
    event_venue: str
    event_starts_at: UtcDatetime
    sport: str
    offer_type: str
    offer_title: str
    persons: int
    holder_name: str
    status: str
    used_at: UtcDatetime | None
    cancelled_at: UtcDatetime | None
    qr_png_url: str
    pdf_url: str


class OrderDetailOut(BaseModel):
    summary: OrderSummaryOut
    lines: list[OrderLineOut]
    tickets: list[TicketOut]
    card_last4: str | None
