"""Pydantic request/response models of the public API (they make the OpenAPI document).

Times are UTC (ISO 8601 with offset). Money is in integer cents (EUR). Inputs refuse unknown fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, model_validator

# A naive-UTC datetime from the services, sent as an aware UTC timestamp.
UtcDatetime = Annotated[datetime, PlainSerializer(
    lambda v: (v if v.tzinfo else v.replace(tzinfo=UTC)).isoformat(), return_type=str, when_used="json")]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _check_text(value: object) -> None:
    """Refuse NUL characters (PostgreSQL cannot store them) and lone surrogates (not encodable) anywhere."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL characters are not allowed")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("invalid Unicode text") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_text(item)


def _safe(value: str) -> str:
    _check_text(value)
    return value


SafeStr = Annotated[str, AfterValidator(_safe)]  # for query, path and header parameters


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _safe_text(cls, data: object) -> object:
        _check_text(data)
        return data


# ---------------------------------------------------------------- auth

class TokenRequest(Input):
    email: str = Field(max_length=254, examples=["camille@example.org"])
    password: str = Field(max_length=1024)
    totp_code: str | None = Field(default=None, max_length=64, description="Required when 2FA is on.")


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds of validity of the access token.")
    refresh_token: str = Field(description="Opaque; exchange it at /auth/refresh. Revoke it at /auth/revoke.")
    role: str


class RefreshRequest(Input):
    refresh_token: str = Field(min_length=1, max_length=256)


class AccessTokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str = Field(description="The next refresh token: the one sent is spent (rotation).")


class RevokeRequest(Input):
    refresh_token: str | None = Field(default=None, max_length=256,
                                      description="Omit to revoke the session of the bearer token used.")


class RegisterRequest(Input):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    consent: bool = Field(description="Acceptance of the privacy policy (required).")


class RegisterResponse(BaseModel):
    """Identical for a new address and for one that already has an account (no account enumeration)."""

    email: str
    verification_sent: bool = Field(description="Always true: a mail went to the address (a verification code, "
                                                "or a notice to the owner when the address already has an account).")


class Me(BaseModel):
    user_id: int
    email: str
    first_name: str
    role: str
    is_verified: bool
    auth: Literal["bearer", "cookie"]


class Message(BaseModel):
    status: str


# ---------------------------------------------------------------- catalogue

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
    seats_left: int
    problem: str | None = Field(description="Why this line cannot be bought as is (null when it can).")


class CartOut(BaseModel):
    lines: list[CartLineOut]
    total_cents: int
    count: int
    persons: int
    can_checkout: bool


class CartItemIn(Input):
    offer_id: Id
    quantity: int = Field(default=1, ge=1, le=100)


class CartQuantityIn(Input):
    quantity: int = Field(ge=0, le=100, description="0 removes the line.")


# ---------------------------------------------------------------- orders and tickets

class CardIn(Input):
    number: str = Field(min_length=1, max_length=40, examples=["4242 4242 4242 4242"])
    exp_month: int = Field(ge=1, le=12)
    exp_year: int = Field(ge=2000, le=2100)
    cvc: str = Field(min_length=1, max_length=8)
    holder: str = Field(default="", max_length=100)


class OrderItemIn(Input):
    offer_id: Id
    quantity: int = Field(ge=1, le=100)


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


# ---------------------------------------------------------------- gate

class ScanIn(Input):
    payload: str = Field(min_length=1, max_length=1024, description="The scanned QR text (JO1:...).")
    gate: str = Field(min_length=1, max_length=60)
    event_id: Id | None = Field(default=None, description="The session this gate admits to (recommended).")


class ScanOut(BaseModel):
    verdict: Literal["VALID", "ALREADY_USED", "INVALID", "UNKNOWN_TICKET", "CANCELLED", "WRONG_DAY", "WRONG_EVENT"]
    admitted: bool
    message: str
    reason: str
    ticket_id: int | None
    ticket_number: str | None
    persons: int | None
    event_title: str | None
    holder_name: str | None
    used_at: UtcDatetime | None
    used_gate: str | None


class KeyOut(BaseModel):
    kid: int
    algorithm: Literal["Ed25519"]
    public_key: str = Field(description="Raw 32-byte Ed25519 public key, hex.")
    status: str
    created_at: UtcDatetime


class KeysOut(BaseModel):
    keys: list[KeyOut]
    payload_format: str


class RevocationOut(BaseModel):
    ticket_id: int
    qr_id: str
    event_id: int
    cancelled_at: UtcDatetime | None


class RevocationsOut(BaseModel):
    items: list[RevocationOut]
    next_since: UtcDatetime | None = Field(description="Pass as `since` next time (minus a safety margin).")
