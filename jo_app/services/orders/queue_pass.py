"""Waiting-room passes: signed, bound to one account and one on-sale, valid until a given time.

Format: `<onsale id>.<user id>.<expiry, unix seconds>.<signature>`, the signature being an HMAC-SHA256 (key derived
from SECRET_KEY for this purpose only) of the first three fields, base64url. Verified without a database read;
a pass copied to another account or on-sale, altered, or expired is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from jo_app.config import get_settings

_LABEL = b"jo-etickets/waiting-room-pass/v1"


def _key() -> bytes:
    return hmac.new(get_settings().secret_key.encode(), _LABEL, hashlib.sha256).digest()


def _signature(body: str) -> str:
    digest = hmac.new(_key(), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def issue(onsale_id: int, user_id: int, expires_at: datetime) -> str:
    """A pass for `user_id` in on-sale `onsale_id`, valid until `expires_at` (naive UTC)."""
    body = f"{int(onsale_id)}.{int(user_id)}.{_unix(expires_at)}"
    return f"{body}.{_signature(body)}"


def is_valid(token: object, onsale_id: int, user_id: int, now: datetime) -> bool:
    """True when `token` is an untampered pass of this account for this on-sale that has not expired."""
    if not isinstance(token, str) or len(token) > 200:
        return False
    parts = token.split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        return False
    body = ".".join(parts[:3])
    if not hmac.compare_digest(parts[3], _signature(body)):
        return False
    return int(parts[0]) == onsale_id and int(parts[1]) == user_id and int(parts[2]) > _unix(now)
