"""API authentication: token, refresh, revoke, register, cookie; forged, expired and revoked JWTs are refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import Session

from jo_app.api.tokens import AUDIENCE, ISSUER, signing_key
from jo_app.services.accounts import sessions
from jo_app.services.accounts.twofactor import begin_enrollment, confirm_enrollment
from tests.api.conftest import assert_error, bearer, token_for


def _claims(access: str) -> dict:
    return jwt.decode(access, options={"verify_signature": False})


def _forge(claims: dict, key, algorithm: str, **overrides) -> str:
    return jwt.encode({**claims, **overrides}, key, algorithm=algorithm)


def _b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _hs256(header: str, payload: str, key: bytes) -> str:
    """HS256 by hand (PyJWT refuses a PEM as HMAC key): the classic RS256 public-key confusion attack."""
    signature = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def test_token_me_refresh_and_revoke(client, world) -> None:
    tokens = token_for(client, world.visitor)
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900 and tokens["role"] == "visitor"
    claims = _claims(tokens["access_token"])
    assert {"sub", "sid", "role", "jti", "iat", "exp"} <= set(claims) and claims["exp"] - claims["iat"] == 900
    assert jwt.get_unverified_header(tokens["access_token"])["alg"] == "HS256"
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["user_id"] == world.visitor.id and me.json()["auth"] == "bearer"

    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    new_headers = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert client.get("/api/v1/cart", headers=new_headers).status_code == 200

    assert client.post("/api/v1/auth/revoke", json={"refresh_token": tokens["refresh_token"]}).status_code == 200
    for h in (headers, new_headers):  # every access token of the session dies with it
        assert_error(client.get("/api/v1/cart", headers=h), 401, "token_revoked")
    assert_error(client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401,
                 "invalid_refresh_token")


def test_revoke_own_session_with_bearer_and_logout_everywhere(client, world) -> None:
    headers = bearer(client, world.visitor)
    assert client.post("/api/v1/auth/revoke", headers=headers, json={}).status_code == 200
    assert_error(client.get("/api/v1/orders", headers=headers), 401, "token_revoked")

    headers = bearer(client, world.visitor)
    with Session(world.engine) as session:
        assert sessions.revoke_all_sessions(session, world.visitor.id) == 1
    assert_error(client.get("/api/v1/orders", headers=headers), 401, "token_revoked")
    assert_error(client.post("/api/v1/auth/revoke", json={}), 401)


def test_login_errors_are_generic_and_lockout_gives_429(client, world) -> None:
    wrong = assert_error(client.post("/api/v1/auth/token", json={"email": world.visitor.email, "password": "nope"}),
                         401, "invalid_credentials")
    unknown = assert_error(client.post("/api/v1/auth/token", json={"email": "ghost@example.org", "password": "x"}),
                           401, "invalid_credentials")
    assert wrong["message"] == unknown["message"]
    for _ in range(4):
        client.post("/api/v1/auth/token", json={"email": world.visitor.email, "password": "nope"})
    locked = client.post("/api/v1/auth/token", json={"email": world.visitor.email, "password": world.visitor.password})
    assert_error(locked, 429, "locked_out")
    assert int(locked.headers["Retry-After"]) > 0


def test_totp_is_required_when_enabled(client, world) -> None:
    with Session(world.engine) as session:
        secret = begin_enrollment(session, world.other.id).secret
        code = subprocess.run(["oathtool", "--totp", "-b", secret], capture_output=True, text=True,
                              check=True).stdout.strip()
        recovery = confirm_enrollment(session, world.other.id, code)
    body = {"email": world.other.email, "password": world.other.password}
    assert_error(client.post("/api/v1/auth/token", json=body), 401, "totp_required")
    assert_error(client.post("/api/v1/auth/token", json={**body, "totp_code": "000000"}), 401, "invalid_totp")
    # The enrolment code is spent (no replay); a recovery code works once.
    assert_error(client.post("/api/v1/auth/token", json={**body, "totp_code": code}), 401, "invalid_totp")
    assert client.post("/api/v1/auth/token", json={**body, "totp_code": recovery[0]}).status_code == 200


def test_forged_and_expired_tokens_are_refused(client, world) -> None:
    tokens = token_for(client, world.visitor)
    claims = _claims(tokens["access_token"])
    now = int(time.time())
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    header, payload, signature = tokens["access_token"].split(".")
    tampered = _b64({**claims, "role": "admin"})
    forged = {
        "expired": _forge(claims, signing_key(), "HS256", iat=now - 3600, exp=now - 1),
        "wrong_key": _forge(claims, b"another-key-0123456789-abcdefghijkl", "HS256"),
        "secret_key_itself": _forge(claims, b"test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz", "HS256"),
        "alg_none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "alg_none_signed": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.{signature}",
        "hs512": _forge(claims, signing_key(), "HS512"),
        "rs256": _forge(claims, private, "RS256"),
        "hs256_with_public_pem": f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{payload}.{signature}",
        "confusion_pem_as_hmac": _hs256(header, payload, public_pem),
        "tampered_role": f"{header}.{tampered}.{signature}",
        "wrong_audience": _forge(claims, signing_key(), "HS256", aud="someone-else"),
        "wrong_issuer": _forge(claims, signing_key(), "HS256", iss="evil"),
        "no_exp": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, signing_key(), algorithm="HS256"),
        "other_users_session": _forge(claims, signing_key(), "HS256", sub=str(world.other.id)),
        "not_a_jwt": "abc.def",
        "garbage": "x" * 5000,
    }
    for name, token in forged.items():
        response = client.get("/api/v1/orders", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, (name, response.text)
        assert response.json()["error"]["code"] in ("invalid_token", "token_revoked"), name
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(client.get("/api/v1/orders", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)
    assert claims["iss"] == ISSUER and claims["aud"] == AUDIENCE


def test_role_comes_from_the_database_not_the_token(client, world) -> None:
    tokens = token_for(client, world.visitor)
    claims = _claims(tokens["access_token"])
    promoted = _forge(claims, signing_key(), "HS256", role="admin")  # even with the real key (leaked)
    headers = {"Authorization": f"Bearer {promoted}"}
    assert_error(client.get("/api/v1/admin/stats", headers=headers), 403, "forbidden")
    assert_error(client.post("/api/v1/scans", headers=headers, json={"payload": "JO1:AAAA", "gate": "A"}), 403)


def test_register_creates_a_visitor_and_does_not_reveal_duplicates(client, world) -> None:
    body = {"email": "new.fan@example.org", "password": "Sprint!Paris2024", "first_name": "Léa",
            "last_name": "Martin", "consent": True}
    created = client.post("/api/v1/auth/register", json=body)
    assert created.status_code == 201 and created.json() == {"email": "new.fan@example.org", "verification_sent": True}
    again = client.post("/api/v1/auth/register", json=body)  # tests/api/test_api_register.py covers the details
    assert (again.status_code, again.json()) == (created.status_code, created.json())
    assert_error(client.post("/api/v1/auth/register", json={**body, "email": "b@example.org", "consent": False}),
                 422, "validation_error")
    tokens = client.post("/api/v1/auth/token", json={"email": body["email"], "password": body["password"]})
    assert tokens.status_code == 200 and tokens.json()["role"] == "visitor"


def test_session_cookie_works_and_is_refused_cross_site_for_writes(client, world) -> None:
    with Session(world.engine) as session:
        cookie = sessions.create_session(session, world.visitor.id)
    client.cookies.set("jo_session", cookie)
    try:
        count = client.get("/cart/api/count")
        assert count.status_code == 200 and count.json() == {"count": 0}
        add = {"offer_id": world.offers["solo"], "quantity": 1}
        assert_error(client.post("/api/v1/cart/items", json=add, headers={"Origin": "https://evil.example"}), 403,
                     "cross_site_request")
        assert_error(client.post("/api/v1/cart/items", json=add, headers={"Sec-Fetch-Site": "cross-site"}), 403)
        same = client.post("/api/v1/cart/items", json=add, headers={"Sec-Fetch-Site": "same-origin"})
        assert same.status_code == 200 and same.json()["count"] == 1
        assert client.get("/cart/api/count").json() == {"count": 1}
        with Session(world.engine) as session:
            sessions.revoke_session(session, cookie)
        assert_error(client.get("/cart/api/count"), 401, "session_expired")
    finally:
        client.cookies.clear()
    assert_error(client.get("/cart/api/count"), 401, "unauthorized")


def test_refresh_rotates_and_a_replayed_refresh_token_kills_the_session(client, world) -> None:
    tokens = token_for(client, world.visitor)
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200, first.text
    new_refresh = first.json()["refresh_token"]
    assert new_refresh != tokens["refresh_token"]
    assert_error(client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401,
                 "invalid_refresh_token")
    # The replay revoked the session: the rotated token and every access token of the session are dead.
    assert_error(client.post("/api/v1/auth/refresh", json={"refresh_token": new_refresh}), 401,
                 "invalid_refresh_token")
    headers = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert_error(client.get("/api/v1/cart", headers=headers), 401, "token_revoked")
