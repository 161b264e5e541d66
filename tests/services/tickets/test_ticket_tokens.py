"""Signed QR payloads: layout, round trip, and every way a forged or damaged payload must be refused."""

from __future__ import annotations

import base64
import re
from datetime import datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import update
from sqlmodel import Session

from jo_app.models import SigningKey, Ticket
from jo_app.services.keys import key_commitment
from jo_app.services.tickets import signing
from jo_app.services.tickets.tokens import (
    PAYLOAD_CHARS,
    RAW_BYTES,
    InvalidTokenError,
    TokenClaims,
    decode,
    encode_ticket,
    ensure_payload,
    sign_claims,
    verify,
)
from tests.factories import make_event, make_offer, make_order, make_ticket, make_user

QR_ALPHANUMERIC = re.compile(r"^[0-9A-Z $%*+\-./:]+$")


@pytest.fixture(autouse=True)
def _fresh_cache():
    signing.clear_cache()
    yield
    signing.clear_cache()


@pytest.fixture
def ticket(session: Session) -> Ticket:
    user = make_user(session)
    event = make_event(session)
    offer = make_offer(session, event, offer_type="family")
    order = make_order(session, user)
    ticket = make_ticket(session, order, offer, user)
    session.commit()
    return ticket


def _raw(payload: str) -> bytes:
    body = payload[4:]
    return base64.b32decode(body + "=" * (-len(body) % 8))


def _text(raw: bytes) -> str:
    return "JO1:" + base64.b32encode(raw).decode().rstrip("=")


def _reason(session: Session, payload: str) -> str:
    with pytest.raises(InvalidTokenError) as caught:
        verify(session, payload)
    return caught.value.reason


def test_round_trip_claims_and_size(session: Session, ticket: Ticket) -> None:
    payload = encode_ticket(session, ticket)
    assert len(payload) == PAYLOAD_CHARS == 161 < 200
    assert QR_ALPHANUMERIC.match(payload) and payload.startswith("JO1:")
    assert len(_raw(payload)) == RAW_BYTES == 98
    claims = verify(session, payload)
    assert claims == TokenClaims(
        kid=1, ticket_id=ticket.id, event_id=ticket.event_id, persons=4,
        generated_at=ticket.generated_at.replace(microsecond=0), qr_id=ticket.qr_id,
        key_commitment=key_commitment(ticket.ticket_key))
    assert isinstance(claims.generated_at, datetime) and claims.generated_at.tzinfo is None
    assert decode(payload) == claims
    # the ticket key itself never appears in the payload
    assert ticket.ticket_key.encode() not in _raw(payload) and bytes.fromhex(ticket.ticket_key) not in _raw(payload)


def test_lowercase_and_whitespace_are_accepted(session: Session, ticket: Ticket) -> None:
    payload = encode_ticket(session, ticket)
    assert verify(session, f"  \t{payload.lower()}\r\n").ticket_id == ticket.id


def test_ensure_payload_stores_once(session: Session, ticket: Ticket) -> None:
    assert ticket.qr_payload is None
    first = ensure_payload(session, ticket)
    session.commit()
    session.expire_all()
    stored = session.get(Ticket, ticket.id)
    assert stored.qr_payload == first
    signing.rotate(session)  # a new active key does not rewrite an existing payload
    assert ensure_payload(session, stored) == first
    assert verify(session, first).kid == 1


def test_every_flipped_byte_is_refused(session: Session, ticket: Ticket) -> None:
    raw = _raw(encode_ticket(session, ticket))
    for index in range(len(raw)):
        for bit in (0x01, 0x80):
            tampered = bytearray(raw)
            tampered[index] ^= bit
            assert _reason(session, _text(bytes(tampered))) in {"bad_signature", "unknown_key", "bad_version"}, index


def test_every_changed_character_is_refused(session: Session, ticket: Ticket) -> None:
    payload = encode_ticket(session, ticket)
    for index in range(4, len(payload)):
        replacement = "A" if payload[index] != "A" else "B"
        with pytest.raises(InvalidTokenError):
            verify(session, payload[:index] + replacement + payload[index + 1:])


def test_malformed_payloads(session: Session, ticket: Ticket) -> None:
    payload = encode_ticket(session, ticket)
    assert _reason(session, payload[:-1]) == "bad_length"
    assert _reason(session, payload[:100]) == "bad_length"
    assert _reason(session, "JO1:") == "bad_length"
    assert _reason(session, payload + "A") == "bad_length"
    assert _reason(session, payload + "=" * 3) == "bad_length"
    assert _reason(session, "JO2:" + payload[4:]) == "bad_prefix"
    assert _reason(session, payload[4:]) == "bad_prefix"
    assert _reason(session, "") == "bad_prefix"
    assert _reason(session, "https://example.test/" + "A" * 140) == "bad_prefix"
    assert _reason(session, "X" * 10_000) == "bad_length"
    assert _reason(session, payload[:50] + "1" + payload[51:]) == "bad_encoding"  # '1' is not base32
    # the last character carries one unused bit: a non-canonical spelling is refused
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".index(payload[-1])
    twin = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[last ^ 1]
    assert _reason(session, payload[:-1] + twin) == "bad_encoding"
    raw = bytearray(_raw(payload))
    raw[0] = 2
    assert _reason(session, _text(bytes(raw))) == "bad_version"
    with pytest.raises(InvalidTokenError):
        decode(payload[:-3])


def test_resigned_with_another_key_under_the_same_kid_is_refused(session: Session, ticket: Ticket) -> None:
    genuine = signing.get_active_key(session)
    claims = verify(session, encode_ticket(session, ticket))
    rogue_private = Ed25519PrivateKey.generate()
    rogue = signing.SigningKeyMaterial(kid=genuine.kid, private_key=rogue_private,
                                       public_key=rogue_private.public_key(), public_hex="")
    assert _reason(session, sign_claims(rogue, claims)) == "bad_signature"
    # and a different claim signed by the rogue key too
    forged = TokenClaims(**{**claims.__dict__, "persons": 1})
    assert _reason(session, sign_claims(rogue, forged)) == "bad_signature"


def test_unknown_kid_is_refused(session: Session, ticket: Ticket) -> None:
    claims = verify(session, encode_ticket(session, ticket))
    private = Ed25519PrivateKey.generate()
    stranger = signing.SigningKeyMaterial(kid=999, private_key=private, public_key=private.public_key(),
                                          public_hex="")
    assert _reason(session, sign_claims(stranger, TokenClaims(**{**claims.__dict__, "kid": 999}))) == "unknown_key"


def test_rotation_then_retirement(session: Session, ticket: Ticket) -> None:
    old_payload = encode_ticket(session, ticket)
    new_kid = signing.rotate(session)
    new_payload = encode_ticket(session, ticket)
    assert new_payload != old_payload
    assert verify(session, old_payload).kid == 1
    assert verify(session, new_payload).kid == new_kid
    signing.retire(session, 1)
    assert _reason(session, old_payload) == "unknown_key"
    assert verify(session, new_payload).kid == new_kid


def test_stale_cache_never_refuses_a_genuine_payload(session: Session, ticket: Ticket) -> None:
    """kid 1 cached, then the keys are replaced behind this process's back (e.g. database rebuilt)."""
    verify(session, encode_ticket(session, ticket))  # caches kid 1's public key
    replacement = signing._new_key_row()
    session.execute(update(SigningKey).where(SigningKey.id == 1).values(
        public_key=replacement.public_key, private_key_encrypted=replacement.private_key_encrypted))
    session.commit()
    payload = encode_ticket(session, ticket)  # signed by the new kid-1 key
    assert verify(session, payload).kid == 1


def test_encoding_rejects_impossible_tickets(session: Session, ticket: Ticket) -> None:
    with pytest.raises(ValueError):
        encode_ticket(session, Ticket(**{**ticket.model_dump(), "qr_id": "not-hex"}))
    with pytest.raises(ValueError):
        encode_ticket(session, Ticket(**{**ticket.model_dump(), "id": None}))
    with pytest.raises(ValueError):
        encode_ticket(session, Ticket(**{**ticket.model_dump(), "id": 2**32}))
