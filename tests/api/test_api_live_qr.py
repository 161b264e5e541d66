"""The live QR over the REST API, checked independently: zxing-cpp decodes the image, the signature is verified
with the published Ed25519 key (cryptography, not our verifier), the time code with oathtool and a clock, using
only what an offline gate device holds (public keys + the event rotation key). Plus owner-only access, the staff-only
rotation key and the admin static-QR switch."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import subprocess
import time

import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from PIL import Image

from tests.api.conftest import World, assert_error, bearer, buy


def _decode(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(results) == 1
    return results[0].text


def _oathtool(secret: bytes, moment: int) -> str:
    b32 = base64.b32encode(secret).decode().rstrip("=")
    return subprocess.run(["oathtool", "--totp=sha256", "-s", "15", "-d", "8", "-N", f"@{moment}", "-b", b32],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_live_qr_verifies_offline_with_the_public_key_and_the_clock(client: TestClient, world: World) -> None:
    owner = bearer(client, world.visitor)
    ticket_id = buy(client, owner, world.offers["duo"])["ticket_ids"][0]
    before = int(time.time())
    response = client.get(f"/api/v1/tickets/{ticket_id}/live-qr.png", headers=owner)
    after = int(time.time())
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert "no-store" in response.headers["cache-control"]
    text = _decode(response.content)
    signed, _, code = text.rpartition(".")
    assert signed.startswith("JO1:") and len(code) == 8 and code.isdigit()

    # what an offline device holds: the public keys and its event's rotation key (fetched while online)
    keys = client.get("/api/v1/keys").json()["keys"]
    staff = bearer(client, world.employee)
    device = client.get(f"/api/v1/gate/events/{world.event_id}/rotation-key", headers=staff).json()
    assert device["step_seconds"] == 15 and device["digits"] == 8
    raw = base64.b32decode(signed[4:] + "=" * (-len(signed[4:]) % 8))
    kid = int.from_bytes(raw[1:3], "big")
    public = bytes.fromhex(next(k["public_key"] for k in keys if k["kid"] == kid))
    Ed25519PublicKey.from_public_bytes(public).verify(raw[34:], raw[:34])  # raises if forged
    event_id = int.from_bytes(raw[7:11], "big")
    assert event_id == world.event_id
    qr_id = raw[16:24]
    secret = hmac.new(base64.b64decode(device["key_b64"]), qr_id, hashlib.sha256).digest()
    expected = {_oathtool(secret, moment) for moment in range(before - 1, after + 2)}
    assert code in expected
    stale = _oathtool(secret, before - 120)
    assert stale != code

    # the gate agrees: the stale code (a screenshot two minutes old) is refused, the live one admits once
    scan = {"gate": "Porte C", "event_id": world.event_id}
    refused = client.post("/api/v1/scans", headers=staff, json={**scan, "payload": f"{signed}.{stale}"}).json()
    assert refused["verdict"] == "CODE_EXPIRED" and not refused["admitted"]
    fresh = _decode(client.get(f"/api/v1/tickets/{ticket_id}/live-qr.png", headers=owner).content)
    admitted = client.post("/api/v1/scans", headers=staff, json={**scan, "payload": fresh}).json()
    assert admitted["verdict"] == "VALID" and admitted["admitted"]
    assert_error(client.get(f"/api/v1/tickets/{ticket_id}/live-qr.png", headers=owner), 409, "ticket_not_valid")


def test_live_qr_is_owner_only_and_the_rotation_key_staff_only(client: TestClient, world: World) -> None:
    owner = bearer(client, world.visitor)
    ticket_id = buy(client, owner, world.offers["solo"])["ticket_ids"][0]
    assert_error(client.get(f"/api/v1/tickets/{ticket_id}/live-qr.png", headers=bearer(client, world.other)), 404)
    assert_error(client.get(f"/api/v1/tickets/{ticket_id}/live-qr.png"), 401)
    assert_error(client.get(f"/api/v1/gate/events/{world.event_id}/rotation-key", headers=owner), 403)
    assert_error(client.get(f"/api/v1/gate/events/{world.event_id}/rotation-key"), 401)
    assert_error(client.get("/api/v1/gate/events/99999/rotation-key", headers=bearer(client, world.employee)), 404)


def test_admin_disables_the_static_qr_of_a_session(client: TestClient, world: World) -> None:
    from tests.api.test_api_gate import _payload

    owner = bearer(client, world.visitor)
    ticket_id = buy(client, owner, world.offers["solo"])["ticket_ids"][0]
    static = _payload(world.engine, ticket_id)
    body = {"enabled": False}
    assert_error(client.put(f"/api/v1/admin/events/{world.event_id}/static-qr", json=body, headers=owner), 403)
    assert_error(client.put(f"/api/v1/admin/events/{world.event_id}/static-qr", json=body,
                            headers=bearer(client, world.employee)), 403)
    admin = bearer(client, world.admin)
    assert client.put(f"/api/v1/admin/events/{world.event_id}/static-qr", json=body, headers=admin).status_code == 204
    staff = bearer(client, world.employee)
    scan = {"gate": "Porte D", "event_id": world.event_id}
    refused = client.post("/api/v1/scans", headers=staff, json={**scan, "payload": static}).json()
    assert refused["verdict"] == "STATIC_REFUSED" and not refused["admitted"]
    live = _decode(client.get(f"/api/v1/tickets/{ticket_id}/live-qr.png", headers=owner).content)
    assert client.post("/api/v1/scans", headers=staff, json={**scan, "payload": live}).json()["verdict"] == "VALID"
