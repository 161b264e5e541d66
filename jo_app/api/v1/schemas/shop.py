"""API models of the catalogue, the cart and the waiting room."""

from __future__ import annotations

from typing import Literal

from fastapi import Header
from pydantic import BaseModel, Field

from jo_app.api.v1.schemas.common import Id, Input, Int, UtcDatetime


class OfferOut(BaseModel):
    id: int
    event_id: int
    title: str
    description: str
    offer_type: Literal["solo", "duo", "family"]
    persons: int
    price_cents: int
    image: str | None
    seats_left: int
    sold_out: bool
    event_title: str
    event_sport: str
    event_venue: str
    event_starts_at: UtcDatetime


class EventOut(BaseModel):
    id: int
    slug: str
    title: str
    sport: str
    description: str
    venue: str
    city: str
    starts_at: UtcDatetime
    capacity: int
    seats_left: int
    sold_out: bool
    image: str | None
    min_price_cents: int | None
    offers: list[OfferOut]


class CartCount(BaseModel):
    count: int


# ---------------------------------------------------------------- cart

class CartLineOut(BaseModel):
    offer_id: int
    event_id: int
    event_title: str
    sport: str
    venue: str
    starts_at: UtcDatetime
    offer_title: str
    offer_type: str
    persons: int
    quantity: int
    unit_price_cents: int
    line_total_cents: int
    seats_left: int = Field(description="Seats this cart could have for the event: those neither sold nor held, "
                                        "plus those this cart holds.")
    problem: str | None = Field(description="Why this line cannot be bought as is (null when it can).")
    hold_expires_at: UtcDatetime | None = Field(
        description="Until when this line's seats are held for the caller (null when they are not held any more).")
    hold_expired: bool = Field(
        description="The seats are no longer held: paying may still work while some remain; "
                    "`POST /cart/items/{offer_id}/hold` holds them again.")


class CartOut(BaseModel):
    lines: list[CartLineOut]
    total_cents: int
    count: int
    persons: int
    can_checkout: bool
    hold_expires_at: UtcDatetime | None = Field(
        description="The first expiry among the lines' holds (null when no line is held). Adding packs holds "
                    "their seats for CART_HOLD_MINUTES; paying before then never fails for lack of seats.")
    server_time: UtcDatetime = Field(description="The server's clock, to count down the hold without clock skew.")


QueuePass = Header(default=None, alias="X-Queue-Pass", min_length=1, max_length=200,
                   description="The waiting-room pass (`pass_token` of `GET /queues/{onsale_id}` once admitted); "
                               "required to buy a session sold through a queued on-sale.")


class QueueStatusOut(BaseModel):
    onsale_id: int
    state: str = Field(description="not_joined | before_opening | waiting | admitted | pass_expired | closed")
    opens_at: UtcDatetime
    position: int | None = Field(description="Place in the queue (drawn at random at opening for early visitors).")
    ahead: int | None
    estimated_wait_seconds: int | None
    pass_token: str | None = Field(description="Send it as `X-Queue-Pass` to buy (bound to this account).")
    pass_expires_at: UtcDatetime | None


class CartItemIn(Input):
    offer_id: Id
    quantity: Int = Field(default=1, ge=1, le=100)


class CartQuantityIn(Input):
    quantity: Int = Field(ge=0, le=100, description="0 removes the line.")
