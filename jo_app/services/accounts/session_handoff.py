"""One-time login hand-off: carries a new session token from the login handler to the cookie-setting route.

The login handler (websocket) cannot set an HttpOnly cookie, so it stores the token encrypted (AES-256-GCM under
a key derived with HKDF from SECRET_KEY) behind a random one-time code, and redirects the browser to
`/auth/complete?code=...`. The route consumes the code with a conditional UPDATE (`used_at IS NULL AND
expires_at > now`), so a code works once, within HANDOFF_TTL, even when several requests race.

The code is bound to the browser that logged in (login CSRF / session swapping): that browser holds a random
HttpOnly pre-login cookie (PRELOGIN_COOKIE, set by the HTTP side before the websocket connects), the login handler
reads it from the socket's headers, and its hash is part of the encryption's associated data. `/auth/complete`
decrypts with the cookie of the browser presenting the code: a code opened in any other browser (say, a link an
attacker obtained by logging into his own account and sent to a victim) fails (ForeignHandoffError) and is spent.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, update
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import LoginHandoff
from jo_app.timeutil import utcnow

HANDOFF_TTL = timedelta(seconds=60)
_AAD = b"jo-etickets/login-handoff/v1"
PRELOGIN_COOKIE = "jo_prelogin"
PRELOGIN_MAX_AGE = 12 * 3600
_NONCE_MIN, _NONCE_MAX = 32, 128


class ForeignHandoffError(Exception):
    """The code was valid but was minted for another browser (its pre-login cookie differs); it is now spent."""


def new_prelogin_nonce() -> str:
    """A fresh random value for the pre-login cookie (256 bits)."""
    return secrets.token_urlsafe(32)


def valid_nonce(nonce: str | None) -> bool:
    """True when `nonce` looks like one of ours (length and URL-safe characters): anything else counts as absent."""
    return bool(nonce) and _NONCE_MIN <= len(nonce) <= _NONCE_MAX and all(
        ch.isascii() and (ch.isalnum() or ch in "-_") for ch in nonce)


def _binding(nonce: str | None) -> bytes:
    return hashlib.sha256(f"prelogin:{nonce or ''}".encode()).hexdigest().encode()


@cache
def _key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_AAD).derive(secret_key.encode())


def _cipher() -> AESGCM:
    return AESGCM(_key(get_settings().secret_key))


def _code_hash(code: str) -> str:
    return hashlib.sha256(f"handoff:{code}".encode()).hexdigest()


def _encrypt(token: str, code_hash: str, binding: bytes) -> str:
    nonce = secrets.token_bytes(12)
    sealed = _cipher().encrypt(nonce, token.encode(), _AAD + code_hash.encode() + binding)
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def _decrypt(blob: str, code_hash: str, binding: bytes) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(blob.encode("ascii"))
        return _cipher().decrypt(raw[:12], raw[12:], _AAD + code_hash.encode() + binding).decode()
    except (InvalidTag, ValueError):
        return None


def create_handoff(session: Session, token: str, *, browser_nonce: str) -> str:
    """Store `token` behind a fresh one-time code (valid HANDOFF_TTL) bound to the pre-login cookie value
    `browser_nonce` of the browser that logged in, and return the code. Commits.

    Expired or used hand-offs are purged on the way. ValueError when the nonce is missing or malformed.
    """
    if not valid_nonce(browser_nonce):
        raise ValueError("a login hand-off needs the browser's pre-login cookie")
    now = utcnow()
    session.execute(delete(LoginHandoff).where((LoginHandoff.expires_at <= now) | LoginHandoff.used_at.is_not(None)))
    code = secrets.token_urlsafe(32)
    code_hash = _code_hash(code)
    sealed = _encrypt(token, code_hash, _binding(browser_nonce))
    session.add(LoginHandoff(code_hash=code_hash, session_token_encrypted=sealed, created_at=now,
                             expires_at=now + HANDOFF_TTL))
    session.commit()
    return code


def consume_handoff(session: Session, code: str | None, browser_nonce: str | None) -> str | None:
    """The session token behind `code` if the code is known, unused and not expired (None otherwise); it is then
    spent. ForeignHandoffError when `browser_nonce` (the presenting browser's pre-login cookie) is not the one the
    code was minted for. Commits."""
    if not code or len(code) > 128:
        return None
    code_hash = _code_hash(code)
    now = utcnow()
    result = session.execute(
        update(LoginHandoff)
        .where(LoginHandoff.code_hash == code_hash, LoginHandoff.used_at.is_(None), LoginHandoff.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        return None
    blob = session.exec(select(LoginHandoff.session_token_encrypted).where(LoginHandoff.code_hash == code_hash)).one()
    session.commit()
    token = _decrypt(blob, code_hash, _binding(browser_nonce if valid_nonce(browser_nonce) else None))
    if token is None:
        raise ForeignHandoffError(code_hash[:12])
    return token
