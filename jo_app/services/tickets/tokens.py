"""The compact, signed QR payload of a ticket.

Binary layout (big-endian, 98 bytes)::

    version u8 = 1 | kid u16 | ticket_id u32 | event_id u32 | persons u8 | generated_at u32 (unix s)
    | qr_id 8 bytes | key commitment 10 bytes | Ed25519 signature 64 bytes (over the 34 bytes before it)

Text form: ``"JO1:" + base32`` (RFC 4648, uppercase, no padding): 161 characters, all in the QR alphanumeric
charset, so the code is denser than a byte-mode one. Input is accepted in lowercase and with surrounding
whitespace (keyboard-wedge scanners); the base32 must be canonical.

Threat model:
- The signature gives authenticity offline: a scanner holding the public keys (`signing.public_keys`) knows the
  payload was issued by us and not altered. It carries no personal data and no secret: the ticket key itself is
  never in the QR, only a 10-byte HMAC commitment to it.
- Forgery needs the private key (encrypted at rest, see `signing`); a leaked key is handled by rotating then
  retiring it, which kills every payload it signed.
- Copying a genuine QR is not prevented by cryptography; it is defeated online: the gate compares qr_id, key
  commitment and event with the database (a re-issued ticket gets a new qr_id, so its old QR is dead) and admits
  each ticket exactly once with a conditional UPDATE (`services.gate.admission`). Offline scanners can admit a copy
twice
  until they sync: they must fetch `gate_reports.revocations_since` and report their scans.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from sqlmodel import Session

from jo_app.models import Ticket
from jo_app.services.errors import DomainError
from jo_app.services.keys import key_commitment
from jo_app.services.tickets import signing

PREFIX = "JO1:"
VERSION = 1
_HEADER = struct.Struct(">BHIIBI8s10s")
SIGNATURE_BYTES = 64
RAW_BYTES = _HEADER.size + SIGNATURE_BYTES  # 98
BODY_CHARS = -(-RAW_BYTES * 8 // 5)  # 157 base32 characters without padding
PAYLOAD_CHARS = len(PREFIX) + BODY_CHARS  # 161
_MAX_INPUT = 512  # anything longer is refused before any decoding work


class InvalidTokenError(DomainError):
    """The scanned text is not a genuine ticket payload. `reason` is a stable short code."""

    code = "invalid_token"

    def __init__(self, reason: str, message: str = "This code is not a valid ticket.") -> None:
        super().__init__(message)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class TokenClaims:
    """What a payload states (signature checked only when it comes from `verify`)."""

    kid: int
    ticket_id: int
    event_id: int
    persons: int
    generated_at: datetime  # naive UTC, whole seconds
    qr_id: str  # 16 lowercase hex chars
    key_commitment: bytes  # 10 bytes


def _unix(moment: datetime) -> int:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return calendar.timegm(moment.utctimetuple())


def claims_for(ticket: Ticket, kid: int) -> TokenClaims:
    """What the payload of `ticket` (or any object with its id, event_id, persons, generated_at, qr_id and ticket_key,
    such as a result row) states under key `kid`."""
    if ticket.id is None:
        raise ValueError("ticket must be saved (no id yet)")
    try:
        qr_id = bytes.fromhex(ticket.qr_id)
    except (TypeError, ValueError):
        raise ValueError("ticket.qr_id must be 16 hex characters") from None
    if len(qr_id) != 8:
        raise ValueError("ticket.qr_id must be 16 hex characters")
    return TokenClaims(kid=kid, ticket_id=ticket.id, event_id=ticket.event_id, persons=ticket.persons,
                       generated_at=ticket.generated_at.replace(microsecond=0), qr_id=qr_id.hex(),
                       key_commitment=key_commitment(ticket.ticket_key))


def _pack(claims: TokenClaims) -> bytes:
    try:
        return _HEADER.pack(VERSION, claims.kid, claims.ticket_id, claims.event_id, claims.persons,
                            _unix(claims.generated_at), bytes.fromhex(claims.qr_id), claims.key_commitment)
    except struct.error as exc:
        raise ValueError(f"ticket field out of range for the payload: {exc}") from None


def _to_text(raw: bytes) -> str:
    return PREFIX + base64.b32encode(raw).decode("ascii").rstrip("=")


def sign_claims(material: signing.SigningKeyMaterial, claims: TokenClaims) -> str:
    """The payload text for `claims`, signed by `material` (its kid must equal `claims.kid`)."""
    if material.kid != claims.kid:
        raise ValueError("claims.kid does not match the signing key")
    body = _pack(claims)
    return _to_text(body + material.sign(body))


def encode_ticket(session: Session, ticket: Ticket) -> str:
    """A fresh payload for `ticket`, signed with the active key (Ed25519 is deterministic: same key, same text)."""
    material = signing.get_active_key(session)
    return sign_claims(material, claims_for(ticket, material.kid))


def ensure_payload(session: Session, ticket: Ticket) -> str:
    """`ticket.qr_payload`, creating and storing it when missing (the caller commits)."""
    if ticket.qr_payload:
        return ticket.qr_payload
    ticket.qr_payload = encode_ticket(session, ticket)
    session.add(ticket)
    return ticket.qr_payload


def _split(payload: str) -> tuple[bytes, bytes]:
    """(signed body, signature) from the text, or InvalidTokenError."""
    if not isinstance(payload, str) or len(payload) > _MAX_INPUT:
        raise InvalidTokenError("bad_length")
    text = payload.strip().upper()
    if not text.startswith(PREFIX):
        raise InvalidTokenError("bad_prefix")
    body = text[len(PREFIX):]
    if len(body) != BODY_CHARS:
        raise InvalidTokenError("bad_length")
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError):
        raise InvalidTokenError("bad_encoding") from None
    if len(raw) != RAW_BYTES or _to_text(raw)[len(PREFIX):] != body:
        raise InvalidTokenError("bad_encoding")  # non-canonical trailing bits
    if raw[0] != VERSION:
        raise InvalidTokenError("bad_version")
    return raw[:_HEADER.size], raw[_HEADER.size:]


def _unpack(body: bytes) -> TokenClaims:
    _version, kid, ticket_id, event_id, persons, generated, qr_id, commitment = _HEADER.unpack(body)
    return TokenClaims(kid=kid, ticket_id=ticket_id, event_id=event_id, persons=persons,
                       generated_at=datetime.fromtimestamp(generated, UTC).replace(tzinfo=None),
                       qr_id=qr_id.hex(), key_commitment=commitment)


def decode(payload: str) -> TokenClaims:
    """Parse a payload WITHOUT checking its signature (display, diagnostics). Raises InvalidTokenError."""
    body, _signature = _split(payload)
    return _unpack(body)


def verify(session: Session, payload: str) -> TokenClaims:
    """Parse and check the signature with the payload's kid. Unknown/retired kid or bad signature: InvalidTokenError.

    This proves authenticity only: the gate must still compare the claims with the ticket row.
    """
    body, signature = _split(payload)
    claims = _unpack(body)
    public = signing.verification_key(session, claims.kid)
    if public is None:
        raise InvalidTokenError("unknown_key")
    try:
        public.verify(signature, body)
    except InvalidSignature:
        # A cached key may be stale (another process rotated/retired, or the database was rebuilt): re-read once.
        fresh = signing.verification_key(session, claims.kid, fresh=True)
        if fresh is None:
            raise InvalidTokenError("unknown_key") from None
        try:
            fresh.verify(signature, body)
        except InvalidSignature:
            raise InvalidTokenError("bad_signature") from None
    return claims
