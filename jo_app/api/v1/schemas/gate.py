"""API models of the gate: scans, signing keys, revocations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from jo_app.api.v1.schemas.common import Id, Input, UtcDatetime


class ScanIn(Input):
    payload: str = Field(min_length=1, max_length=1024, description="The scanned QR text (JO1:...).")
    gate: str = Field(min_length=1, max_length=60)
    event_id: Id | None = Field(default=None, description="The session this gate admits to (recommended).")


class ScanOut(BaseModel):
    verdict: Literal["VALID", "ALREADY_USED", "INVALID", "UNKNOWN_TICKET", "CANCELLED", "WRONG_DAY", "WRONG_EVENT",
                     "TRANSFERRED", "CODE_EXPIRED", "STATIC_REFUSED"]
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
