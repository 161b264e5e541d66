"""Pydantic request/response models of the public API (they make the OpenAPI document), one module per concept.

Times are UTC (ISO 8601 with offset). Money is in integer cents (EUR). Inputs refuse unknown fields. Every model is
also importable from this package (`from jo_app.api.v1.schemas import OrderCreate`, `schemas.EventOut`).
"""

from __future__ import annotations

from jo_app.api.v1.schemas.auth import (
    EMAIL_PATTERN,
    NAME_PATTERN,
    AccessTokenResponse,
    Me,
    Message,
    ProfileUpdate,
    RefreshRequest,
    RegisterRequest,
    RegisterResponse,
    RevokeRequest,
    TokenRequest,
    TokenResponse,
)
from jo_app.api.v1.schemas.common import Id, Input, Int, IsoDate, IsoDatetime, SafeStr, UtcDatetime
from jo_app.api.v1.schemas.gate import KeyOut, KeysOut, RevocationOut, RevocationsOut, ScanIn, ScanOut
from jo_app.api.v1.schemas.orders import (
    CardIn,
    OrderCreate,
    OrderCreated,
    OrderDetailOut,
    OrderItemIn,
    OrderLineOut,
    OrderSummaryOut,
    TicketOut,
)
from jo_app.api.v1.schemas.shop import (
    CartCount,
    CartItemIn,
    CartLineOut,
    CartOut,
    CartQuantityIn,
    EventOut,
    OfferOut,
    QueuePass,
    QueueStatusOut,
)

__all__ = [
    "EMAIL_PATTERN",
    "NAME_PATTERN",
    "AccessTokenResponse",
    "CardIn",
    "CartCount",
    "CartItemIn",
    "CartLineOut",
    "CartOut",
    "CartQuantityIn",
    "EventOut",
    "Id",
    "Input",
    "Int",
    "IsoDate",
    "IsoDatetime",
    "KeyOut",
    "KeysOut",
    "Me",
    "Message",
    "OfferOut",
    "OrderCreate",
    "OrderCreated",
    "OrderDetailOut",
    "OrderItemIn",
    "OrderLineOut",
    "OrderSummaryOut",
    "ProfileUpdate",
    "QueuePass",
    "QueueStatusOut",
    "RefreshRequest",
    "RegisterRequest",
    "RegisterResponse",
    "RevocationOut",
    "RevocationsOut",
    "RevokeRequest",
    "SafeStr",
    "ScanIn",
    "ScanOut",
    "TicketOut",
    "TokenRequest",
    "TokenResponse",
    "UtcDatetime",
]
