"""Gate endpoints: scans (staff only, exactly once), a hostile QR corpus that must never be VALID, keys and
revocations for offline scanners."""

from __future__ import annotations

import base64
import dataclasses
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlmodel import Session

from jo_app.models import Ticket
from jo_app.services.orders import history as orders
from jo_app.services.tickets import signing
from jo_app.services.tickets import tokens as ticket_tokens
from jo_app.services.tickets.tokens import PREFIX
from jo_app.timeutil import utcnow
from tests.api.conftest import assert_error, bearer, buy


def _payload(engine, ticket_id: int) -> str:
    with Session(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        payload = ticket_tokens.ensure_payload(session, ticket)
        session.commit()
        return payload


def _other_key(kid: int) -> signing.SigningKeyMaterial:
    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    return signing.SigningKeyMaterial(kid=kid, private_key=private, public_key=public,
                                      public_hex=public.public_bytes_raw().hex())


def _flip(payload: str, index: int) -> str:
    raw = bytearray(base64.b32decode(payload[len(PREFIX):] + "=" * (-len(payload[len(PREFIX):]) % 8)))
    raw[index] ^= 0x01
    return PREFIX + base64.b32encode(bytes(raw)).decode().rstrip("=")


def test_scan_admits_once_and_only_staff_may_scan(client, world) -> None:
    order = buy(client, bearer(client, world.visitor), world.offers["family"])
    payload = _payload(world.engine, order["ticket_ids"][0])
    body = {"payload": payload, "gate": "Porte A", "event_id": world.event_id}
    assert_error(client.post("/api/v1/scans", json=body), 401)
    assert_error(client.post("/api/v1/scans", headers=bearer(client, world.visitor), json=body), 403, "forbidden")
    staff = bearer(client, world.employee)
    first = client.post("/api/v1/scans", headers=staff, json=body).json()
    assert first["verdict"] == "VALID" and first["admitted"] and first["persons"] == 4
    second = client.post("/api/v1/scans", headers=bearer(client, world.admin), json={**body, "gate": "Porte B"})
    assert second.json()["verdict"] == "ALREADY_USED" and second.json()["used_gate"] == "Porte A"
    assert client.get("/api/v1/tickets", headers=bearer(client, world.visitor)).json()[0]["status"] == "used"
    assert_error(client.post("/api/v1/scans", headers=staff, json={**body, "gate": " "}), 422)


def test_hostile_qr_corpus_is_never_valid(client, world) -> None:
    visitor = bearer(client, world.visitor)
    order = buy(client, visitor, world.offers["duo"], 2)
    good, spare = (_payload(world.engine, t) for t in order["ticket_ids"])
    other_event = buy(client, visitor, next(o["id"] for o in client.get(
        "/api/v1/offers", params={"event_id": world.other_event_id}).json()))
    other_event_payload = _payload(world.engine, other_event["ticket_ids"][0])
    claims = ticket_tokens.decode(good)
    with Session(world.engine) as session:
        active = signing.get_active_key(session)
    corpus = {
        "empty-ish": "JO1:",
        "truncated": good[:-10],
        "truncated_one": good[:-1],
        "prefix_only_changed": "JO2:" + good[4:],
        "not_base32": good[:50] + "!!" + good[52:],
        "altered_ticket_id": _flip(good, 4),
        "altered_event_id": _flip(good, 10),
        "altered_persons": _flip(good, 11),
        "altered_qr_id": _flip(good, 20),
        "altered_signature": _flip(good, 60),
        "resigned_other_key_same_kid": ticket_tokens.sign_claims(_other_key(active.kid), claims),
        "unknown_kid": ticket_tokens.sign_claims(_other_key(999), dataclasses.replace(claims, kid=999)),
        "genuine_key_forged_persons": ticket_tokens.sign_claims(active, dataclasses.replace(claims, persons=4)),
        "genuine_key_unknown_ticket": ticket_tokens.sign_claims(active, dataclasses.replace(claims, ticket_id=77777)),
        "huge": "JO1:" + "A" * 900,
        "sql": "JO1:' OR 1=1 --",
        "unicode": "JO1:" + "é" * 157,
        "other_event_with_event_id": other_event_payload,
    }
    staff = bearer(client, world.employee)
    for name, payload in corpus.items():
        response = client.post("/api/v1/scans", headers=staff,
                               json={"payload": payload, "gate": "A", "event_id": world.event_id})
        assert response.status_code in (200, 422), (name, response.text)
        if response.status_code == 200:
            verdict = response.json()
            assert verdict["verdict"] != "VALID" and not verdict["admitted"], (name, verdict)
            if verdict["verdict"] in ("INVALID", "UNKNOWN_TICKET"):
                assert verdict["holder_name"] is None, name
    assert client.post("/api/v1/scans", headers=staff, json={
        "payload": other_event_payload, "gate": "A", "event_id": world.event_id}).json()["verdict"] == "WRONG_EVENT"

    # Replayed after cancellation: the genuine QR of a cancelled order is refused.
    with Session(world.engine) as session:
        orders.cancel_order(session, world.admin.id, order["reference"], reason="test")
    for payload in (good, spare):
        verdict = client.post("/api/v1/scans", headers=staff, json={"payload": payload, "gate": "A"}).json()
        assert verdict["verdict"] == "CANCELLED", verdict
    # Retired key: every payload it signed dies.
    fresh = buy(client, visitor, world.offers["solo"])
    payload = _payload(world.engine, fresh["ticket_ids"][0])
    with Session(world.engine) as session:
        kid = signing.get_active_key(session).kid
        signing.rotate(session)
        signing.retire(session, kid)
    verdict = client.post("/api/v1/scans", headers=staff, json={"payload": payload, "gate": "A"}).json()
    assert verdict["verdict"] == "INVALID"
    with Session(world.engine) as session:
        assert session.get(Ticket, fresh["ticket_ids"][0]).status == "valid"


def test_keys_are_public_and_verify_real_payloads(client, world) -> None:
    order = buy(client, bearer(client, world.visitor), world.offers["solo"])
    payload = _payload(world.engine, order["ticket_ids"][0])
    keys = client.get("/api/v1/keys").json()["keys"]
    claims = ticket_tokens.decode(payload)
    key = next(k for k in keys if k["kid"] == claims.kid)
    assert key["algorithm"] == "Ed25519" and key["status"] == "active"
    raw = base64.b32decode(payload[4:] + "=" * (-len(payload[4:]) % 8))
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(key["public_key"])).verify(raw[34:], raw[:34])  # offline check
    assert "private" not in str(keys).lower()


def test_revocations_since_cursor(client, world) -> None:
    visitor = bearer(client, world.visitor)
    first = buy(client, visitor, world.offers["solo"])
    kept = buy(client, visitor, world.offers["duo"])
    staff = bearer(client, world.employee)
    assert_error(client.get("/api/v1/revocations", headers=visitor), 403)
    assert client.get("/api/v1/revocations", headers=staff).json() == {"items": [], "next_since": None}
    before = (utcnow() - timedelta(seconds=1)).isoformat() + "Z"
    with Session(world.engine) as session:
        orders.cancel_order(session, world.admin.id, first["reference"])
        qr_id = session.get(Ticket, first["ticket_ids"][0]).qr_id
    page = client.get("/api/v1/revocations", headers=staff, params={"since": before}).json()
    assert [(i["ticket_id"], i["qr_id"]) for i in page["items"]] == [(first["ticket_ids"][0], qr_id)]
    later = client.get("/api/v1/revocations", headers=staff,
                       params={"since": (utcnow() + timedelta(minutes=1)).isoformat() + "+00:00"}).json()
    assert later["items"] == []
    assert kept["ticket_ids"][0] not in [i["ticket_id"] for i in page["items"]]
    assert_error(client.get("/api/v1/revocations", headers=staff, params={"since": "yesterday"}), 422)
    extreme = client.get("/api/v1/revocations", headers=staff, params={"since": "0001-01-01T00:00:00+05:00"})
    assert extreme.status_code == 200 and len(extreme.json()["items"]) == 1
