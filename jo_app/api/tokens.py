"""API access tokens: short-lived HS256 JWTs bound to a revocable server-side session.

- Signing key: a sub-key of SECRET_KEY dedicated to API tokens (HMAC domain separation), never SECRET_KEY itself.
- Claims: `sub` (user id), `sid` (the `user_sessions` row the token belongs to), `role` (informative only: the role
  is re-read from the database on every request), `jti`, `iat`, `exp`, `iss`, `aud`, `typ="access"`.
- Malformed input of any shape (header or payload not a JSON object, deep nesting, bad UTF-8, claims of the wrong
  type, ids outside BIGINT, an expiry beyond any issued token) ends in `TokenError` (401), never another exception.
- Decoding refuses any header `alg` other than HS256 BEFORE verification (no `none`, no HS512, no RS256/ES256 key
  confusion), then verifies signature, expiry (no leeway), issuer and audience.
- Refresh token: the opaque random token of the server-side session (`services.accounts.sessions`), stored hashed;
  revoking the session kills the refresh token and, at their next request, every access token carrying its `sid`.
- Verified tokens are remembered (token string -> claims, bounded, per signing key) so a client's next requests
  skip the HMAC and JSON work; the expiry is checked again on every use. A cache hit needs the byte-identical
  token, so it never admits anything that would not verify; revocation is the caller's database check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache

import jwt

from jo_app.config import get_settings

ALGORITHM = "HS256"
ISSUER = "jo-etickets"
AUDIENCE = "jo-etickets-api"


class TokenError(Exception):
    """The token is malformed, forged, expired or of the wrong kind (the message is for logs only)."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: int
    role: str
    jti: str


VERIFIED_CACHE_SIZE = 8192
_verified: dict[str, tuple[bytes, AccessClaims, float]] = {}  # token -> (signing key, claims, exp)


@lru_cache(maxsize=4)
def _derive_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"jo-etickets/api-access-token", hashlib.sha256).digest()


def signing_key() -> bytes:
    return _derive_key(get_settings().secret_key)


def issue_access_token(user_id: int, session_id: int, role: str) -> tuple[str, int]:
    """(token, lifetime in seconds)."""
    ttl = get_settings().api_access_token_seconds
    now = int(time.time())  # PyJWT checks `exp` against the same clock
    claims = {"sub": str(user_id), "sid": session_id, "role": role, "jti": secrets.token_urlsafe(12),
              "iat": now, "exp": now + ttl, "iss": ISSUER, "aud": AUDIENCE, "typ": "access"}
    return jwt.encode(claims, signing_key(), algorithm=ALGORITHM), ttl


def decode_access_token(token: str) -> AccessClaims:
    """Verified claims, or TokenError."""
    key = signing_key()
    known = _verified.get(token)
    if known is not None and known[0] == key:
        if known[2] > time.time():  # PyJWT's rule: expired when exp <= now (no leeway)
            return known[1]
        _verified.pop(token, None)
        raise TokenError("invalid token: ExpiredSignatureError")
    claims, expires = _verify(token, key)
    if len(_verified) >= VERIFIED_CACHE_SIZE:
        _verified.clear()  # crude but bounded; thread-safe under the GIL
    _verified[token] = (key, claims, expires)
    return claims


MAX_ID = 2 ** 63 - 1  # a BIGINT primary key: anything larger must never reach the database


def _positive_id(value: object, *, text: bool) -> int:
    """A database id from a claim: a positive int in BIGINT range (`text`: a canonical ASCII decimal string)."""
    if text and isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19 \
            and value[0] != "0":
        value = int(value)
    elif text:
        raise TokenError("bad subject claim")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise TokenError("bad subject or session claim")
    return value


def _header(token: str) -> dict:
    """The JOSE header, parsed defensively: any token whose header is not a JSON object is refused here."""
    segment = token.split(".", 1)[0]
    try:  # cheap look at the header first (PyJWT's own parsing runs once, in decode)
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError, RecursionError):  # bad base64/UTF-8/JSON, deep nesting
        raise TokenError("malformed header") from None
    if not isinstance(header, dict):
        raise TokenError("header is not a JSON object")
    return header


def _verify(token: str, key: bytes) -> tuple[AccessClaims, float]:
    """Every malformed input ends in TokenError: header and payload of any JSON type, claims of any type."""
    if not isinstance(token, str) or not token or len(token) > 4096 or token.count(".") != 2:
        raise TokenError("missing, oversized or malformed token")
    alg = _header(token).get("alg")
    if alg != ALGORITHM:
        raise TokenError(f"algorithm {str(alg)[:20]!r} refused")
    try:
        claims = jwt.decode(
            token, key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid", "jti", "iss", "aud"]},
        )
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError, OverflowError) as exc:
        raise TokenError(f"invalid token: {exc.__class__.__name__}") from None
    if not isinstance(claims, dict) or claims.get("typ") != "access":
        raise TokenError("not an access token")
    expires, role, jti = claims["exp"], claims.get("role", ""), claims["jti"]
    if isinstance(expires, bool) or not isinstance(expires, int | float) or not isinstance(role, str) \
            or not isinstance(jti, str) or len(role) > 32 or len(jti) > 64:
        raise TokenError("bad claim types")
    if expires > time.time() + get_settings().api_access_token_seconds + 60:
        raise TokenError("expiry beyond any token this server issues")
    return AccessClaims(user_id=_positive_id(claims["sub"], text=True),
                        session_id=_positive_id(claims["sid"], text=False), role=role, jti=jti), float(expires)
