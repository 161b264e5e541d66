"""Attack: malformed bearer tokens on every bearer-protected route (issue 11 item 4).

`Authorization: Bearer MQ.e30.x` (a JWT whose header decodes to the JSON number 1) made every protected route
answer 500. Each token of the corpus must now get 401 with the usual error body, on every route whose OpenAPI
operation accepts the bearer scheme; forged tokens correctly signed with the real key but carrying claims of the
wrong types must get 401 too (never a 500, never a database error).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from jo_app.api import tokens
from jo_app.api.app import api
from tests.api.conftest import assert_error, bearer


def _b64(value: object) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


HS256 = _b64({"alg": "HS256", "typ": "JWT"})
UNSIGNED_CORPUS = [
    "MQ.e30.x",  # header = 1: the reported payload
    f"{_b64([1])}.e30.x",
    f"{_b64('HS256')}.e30.x",
    f"{_b64(None)}.e30.x",
    f"{_b64(True)}.e30.x",
    f"{_b64({'alg': ['HS256']})}.e30.x",
    f"{_b64({'alg': {'x': 1}})}.e30.x",
    f"{_b64({'alg': 'none'})}.e30.",
    f"{_b64(b'[' * 2000)}.e30.x",  # deep nesting: RecursionError in the JSON parser
    f"{_b64(bytes([0xff, 0xfe]))}.e30.x",  # not UTF-8
    "é.e30.x",
    "....",
    ".",
    "x",
    f"{HS256}.{_b64(1)}.x",
    f"{HS256}.{_b64([])}.c2ln",
    "a" * 5000,
]


def _signed(claims: object, key: bytes | None = None) -> str:
    """A token signed with the real API key (what a forger cannot do: this checks the claim parsing itself)."""
    key = key or tokens.signing_key()
    payload = json.dumps(claims).encode() if not isinstance(claims, bytes) else claims
    head = _b64({"alg": "HS256", "typ": "JWT"})
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    signature = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"


def _claims(**overrides: object) -> dict:
    now = int(time.time())
    claims = {"sub": "1", "sid": 1, "role": "admin", "jti": "j", "iat": now, "exp": now + 600,
              "iss": tokens.ISSUER, "aud": tokens.AUDIENCE, "typ": "access"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not ...}


def signed_corpus() -> list[str]:
    return [
        _signed([1, 2]),
        _signed("claims"),
        _signed(b"[" * 3000),
        _signed(_claims(sub=["1"])),
        _signed(_claims(sub={"id": 1})),
        _signed(_claims(sub="1e3")),
        _signed(_claims(sub="-1")),
        _signed(_claims(sub="\u0661")),  # an Arabic-Indic digit: int() would accept it
        _signed(_claims(sub="9" * 40)),
        _signed(_claims(sid="1")),
        _signed(_claims(sid=1.5)),
        _signed(_claims(sid=True)),
        _signed(_claims(sid=2 ** 70)),  # beyond BIGINT: must not reach the database
        _signed(_claims(sid=-5)),
        _signed(_claims(jti={"a": 1})),
        _signed(_claims(role=["admin"])),
        _signed(_claims(typ=["access"])),
        _signed(_claims(exp="tomorrow")),
        _signed(_claims(exp=10 ** 30)),
        _signed(_claims(iat=[1])),
        _signed(_claims(aud=[[]])),
        _signed(_claims(iss={"x": 1})),
        _signed(_claims(typ=...)),
    ]


def bearer_routes() -> list[tuple[str, str]]:
    """(method, path with its parameters filled) of every operation documenting the bearer scheme."""
    routes = []
    for path, operations in api.openapi()["paths"].items():
        for method, operation in operations.items():
            if any("bearer" in requirement for requirement in operation.get("security") or []):
                filled = path.replace("{reference}", "JO-AAAA-BBBB").replace("{ticket_id}", "1")
                filled = filled.replace("{event_id}", "1").replace("{offer_id}", "1")
                routes.append((method.upper(), filled))
    return routes


def test_the_route_list_covers_the_protected_api() -> None:
    routes = bearer_routes()
    assert len(routes) >= 30 and ("GET", "/api/v1/orders") in routes and ("POST", "/api/v1/scans") in routes


def test_the_reported_payload_gets_401_on_every_bearer_route(client, world) -> None:
    for method, path in bearer_routes():
        response = client.request(method, path, headers={"Authorization": "Bearer MQ.e30.x"}, json={})
        assert_error(response, 401, "invalid_token")


@pytest.mark.parametrize("token", UNSIGNED_CORPUS)
def test_malformed_tokens_get_401_everywhere(client, world, token) -> None:
    for method, path in bearer_routes():
        response = client.request(method, path, headers={"Authorization": f"Bearer {token}".encode()}, json={})
        assert_error(response, 401)


def test_signed_tokens_with_claims_of_the_wrong_type_get_401(client, world) -> None:
    routes = [("GET", "/api/v1/auth/me"), ("GET", "/api/v1/orders"), ("POST", "/api/v1/scans"),
              ("GET", "/api/v1/admin/stats")]
    for token in signed_corpus():
        for method, path in routes:
            response = client.request(method, path, headers={"Authorization": f"Bearer {token}".encode()}, json={})
            assert_error(response, 401)


def test_a_well_formed_token_still_works(client, world) -> None:
    """Control: the hardening refuses only bad tokens."""
    response = client.get("/api/v1/auth/me", headers=bearer(client, world.admin))
    assert response.status_code == 200, response.text


def test_decode_raises_token_error_only() -> None:
    """The decoder itself: every input of both corpora raises TokenError (nothing else escapes)."""
    for token in [*UNSIGNED_CORPUS, *signed_corpus(), "", "a.b", "\x00.\x00.\x00"]:
        with pytest.raises(tokens.TokenError):
            tokens.decode_access_token(token)


def test_pyjwt_round_trip_of_a_real_token_decodes() -> None:
    token, _ttl = tokens.issue_access_token(7, 9, "visitor")
    claims = tokens.decode_access_token(token)
    assert (claims.user_id, claims.session_id, claims.role) == (7, 9, "visitor")
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
