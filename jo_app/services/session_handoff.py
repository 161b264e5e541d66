"""One-time login hand-off: carries a new session token from the login handler to the cookie-setting route.

The login handler (websocket) cannot set an HttpOnly cookie, so it stores the token encrypted (AES-256-GCM under
a key derived with HKDF from SECRET_KEY) behind a random one-time code, and redirects the browser to
`/auth/complete?code=...`. The route consumes the code with a conditional UPDATE (`used_at IS NULL AND
expires_at > now`), so a code works once, within HANDOFF_TTL, even when several requests race.
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


@cache
def _key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_AAD).derive(secret_key.encode())


def _cipher() -> AESGCM:
    return AESGCM(_key(get_settings().secret_key))


def _code_hash(code: str) -> str:
    return hashlib.sha256(f"handoff:{code}".encode()).hexdigest()


def _encrypt(token: str, code_hash: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = _cipher().encrypt(nonce, token.encode(), _AAD + code_hash.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def _decrypt(blob: str, code_hash: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(blob.encode("ascii"))
        return _cipher().decrypt(raw[:12], raw[12:], _AAD + code_hash.encode()).decode()
    except (InvalidTag, ValueError):
        return None


def create_handoff(session: Session, token: str) -> str:
    """Store `token` behind a fresh one-time code (valid HANDOFF_TTL) and return the code. Commits.

    Expired or used hand-offs are purged on the way.
    """
    now = utcnow()
    session.execute(delete(LoginHandoff).where((LoginHandoff.expires_at <= now) | LoginHandoff.used_at.is_not(None)))
    code = secrets.token_urlsafe(32)
    code_hash = _code_hash(code)
    session.add(LoginHandoff(code_hash=code_hash, session_token_encrypted=_encrypt(token, code_hash),
                             created_at=now, expires_at=now + HANDOFF_TTL))
    session.commit()
    return code


def consume_handoff(session: Session, code: str | None) -> str | None:
    """The session token behind `code` if the code is known, unused and not expired; it is then spent. Commits."""
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
    return _decrypt(blob, code_hash)
