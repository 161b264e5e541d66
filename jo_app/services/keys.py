"""The specification's double-key scheme (4.2.1), made sound.

- user key: 256 random bits, made once at registration (`User.security_key`);
- purchase key: 256 random bits, made once per order (`Order.purchase_key`);
- ticket key: HMAC-SHA256 under a server secret of (user key, purchase key, the ticket's identity).

Unlike the spec's sketch (which mixed a fresh uuid4 into `combine_keys`, so nobody could ever recompute a key),
the ticket key is deterministic: the server can recompute and check it, and it is distinct per ticket because
the ticket identity (order reference + unit index) is part of the MAC input. Keys are 64 lowercase hex chars.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from jo_app.config import get_settings

KEY_BYTES = 32  # 256 bits


def new_random_key() -> str:
    """64 hex chars of cryptographic randomness (used for user keys and purchase keys)."""
    return secrets.token_hex(KEY_BYTES)


def generate_user_key() -> str:
    """The key a user receives at registration."""
    return new_random_key()


def generate_purchase_key() -> str:
    """The key an order receives at purchase."""
    return new_random_key()


def _server_key(purpose: str) -> bytes:
    """A sub-key of SECRET_KEY dedicated to one purpose (domain separation)."""
    return _sub_key(get_settings().secret_key, purpose)


@lru_cache(maxsize=64)
def _sub_key(secret: str, purpose: str) -> bytes:  # per (secret, purpose): a changed SECRET_KEY derives afresh
    return hmac.new(secret.encode(), f"jo-etickets/{purpose}".encode(), hashlib.sha256).digest()


def derive_ticket_key(user_key: str, purchase_key: str, ticket_identity: str) -> str:
    """Ticket key = HMAC(server secret, user key | purchase key | ticket identity), 64 hex chars."""
    for name, value in (("user_key", user_key), ("purchase_key", purchase_key), ("ticket_identity", ticket_identity)):
        if not value or "|" in value:
            raise ValueError(f"{name} must be a non-empty string without '|'")
    message = f"{user_key}|{purchase_key}|{ticket_identity}".encode()
    return hmac.new(_server_key("ticket-key"), message, hashlib.sha256).hexdigest()


def key_commitment(ticket_key: str, length: int = 10) -> bytes:
    """A short public commitment to a ticket key, carried in the QR payload instead of the key itself."""
    return hmac.new(_server_key("ticket-key-commitment"), ticket_key.encode(), hashlib.sha256).digest()[:length]


def hash_token(token: str) -> str:
    """SHA-256 hex of a high-entropy secret (session tokens, recovery codes) for storage."""
    return hashlib.sha256(token.encode()).hexdigest()
