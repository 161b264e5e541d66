"""Encryption at rest of small secrets stored in the database (TOTP secrets), under SECRET_KEY.

Same construction as the ticket signing keys (`services.tickets.signing`): AES-256-GCM with a random 96-bit nonce, under
a key derived by HKDF-SHA256 from SECRET_KEY with a salt per purpose (domain separation), and associated data that
binds a ciphertext to its row (a sealed value copied onto another row does not open). Stored form:
`v1:<urlsafe base64 of nonce | ciphertext | tag>`. Changing SECRET_KEY makes every sealed value unreadable (as it
does the signing keys): rotate SECRET_KEY only with a re-encryption step.
"""

from __future__ import annotations

import base64
import binascii
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jo_app.config import get_settings

VERSION = "v1"


class SealedValueError(ValueError):
    """The stored value does not open under the current SECRET_KEY and this row (corrupted, moved, other key)."""


@lru_cache(maxsize=8)
def _key(secret: str, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=f"jo-etickets/{purpose}".encode(),
                info=b"secretbox/v1").derive(secret.encode())


def seal(plaintext: str, *, purpose: str, context: str, secret_key: str | None = None) -> str:
    """Encrypt `plaintext` for `purpose`, bound to `context` (e.g. "user:42")."""
    nonce = os.urandom(12)
    key = _key(secret_key or get_settings().secret_key, purpose)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def open_sealed(blob: str, *, purpose: str, context: str, secret_key: str | None = None) -> str:
    """The plaintext of `seal(...)` with the same purpose and context, else SealedValueError."""
    version, _, encoded = blob.partition(":")
    if version != VERSION:
        raise SealedValueError(f"unsupported sealed value version {version!r}")
    try:
        data = base64.urlsafe_b64decode(encoded)
        key = _key(secret_key or get_settings().secret_key, purpose)
        return AESGCM(key).decrypt(data[:12], data[12:], context.encode()).decode()
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise SealedValueError("sealed value does not open") from exc
