"""Ed25519 keys that sign ticket QR payloads, with key ids (kid) so keys can rotate.

Storage: one `SigningKey` row per key; `id` is the kid carried in every payload. The raw 32-byte private key is
encrypted with AES-256-GCM under a wrapping key derived by HKDF-SHA256 from SECRET_KEY (the public key is the
associated data, so a ciphertext cannot be swapped onto another row). Public keys are stored as 64 hex chars.

Life cycle: ACTIVE (signs and verifies) -> VERIFY_ONLY (after `rotate`; still verifies what it signed) ->
RETIRED (after `retire`; verifies nothing, so every ticket it signed is refused, online and offline).

Caching (this process only):
- decrypted private keys are kept by (database, kid, public key), so AES runs once per key per process;
- public keys used for verification are kept at most `PUBLIC_KEY_TTL` seconds, so a retirement done by another
  process is seen within that delay (immediately in the process that retired it). A failed signature check with
  a cached key re-reads the key once, so a stale cache never refuses a genuine ticket.

First key: `get_active_key` creates one lazily when the table has no ACTIVE key.
- PostgreSQL: in its own short committed transaction (separate connection), under a transaction-level advisory
  lock with a re-check, so concurrent processes create exactly one key and the caller's rollback cannot undo it.
- SQLite: in the caller's transaction (a second connection would wait for the caller's own pending writes); it
  commits with the caller's work. SQLite serialises writers; two processes racing could still both create one:
  both stay ACTIVE and verifying and the highest kid signs, which is harmless. A rolled-back key is harmless too:
  nothing it signed was committed, and caches are keyed by the public key as well as the kid.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import select, text, update
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.models import SigningKey, SigningKeyStatus
from jo_app.services import audit
from jo_app.services.errors import ConflictError, NotFoundError
from jo_app.timeutil import utcnow

ALGORITHM = "Ed25519"
PUBLIC_KEY_TTL = 30.0  # seconds a verification key stays cached
MAX_KID = 0xFFFF  # the payload carries the kid as uint16
_WRAP_VERSION = "v1"
_ADVISORY_LOCK_ID = 0x4A4F5349  # "JOSI": serialises key creation/rotation on PostgreSQL


@dataclass(frozen=True)
class SigningKeyMaterial:
    """A usable signing key: its kid and the decrypted key pair."""

    kid: int
    private_key: Ed25519PrivateKey
    public_key: Ed25519PublicKey
    public_hex: str

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


_lock = threading.Lock()
_private_cache: dict[tuple[str, int, str], SigningKeyMaterial] = {}
_public_cache: dict[tuple[str, int], tuple[Ed25519PublicKey, float]] = {}


def clear_cache() -> None:
    """Forget every cached key (done automatically on rotate/retire in this process)."""
    with _lock:
        _private_cache.clear()
        _public_cache.clear()


def _db_id(session: Session) -> str:
    """Distinguishes databases in the caches (kids are only unique within one database)."""
    return session.get_bind().url.render_as_string(hide_password=True)


def _wrapping_key() -> bytes:
    secret = get_settings().secret_key.encode()
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"jo-etickets/signing-key-wrap", info=b"ed25519-private-key/v1"
    ).derive(secret)


def _encrypt_private(raw: bytes, public_hex: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_wrapping_key()).encrypt(nonce, raw, public_hex.encode())
    return f"{_WRAP_VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def _decrypt_private(blob: str, public_hex: str) -> Ed25519PrivateKey:
    version, _, encoded = blob.partition(":")
    if version != _WRAP_VERSION:
        raise ValueError(f"unsupported private key wrapping {version!r}")
    data = base64.urlsafe_b64decode(encoded)
    raw = AESGCM(_wrapping_key()).decrypt(data[:12], data[12:], public_hex.encode())
    private = Ed25519PrivateKey.from_private_bytes(raw)
    if _public_hex(private.public_key()) != public_hex:
        raise ValueError("stored private key does not match its public key")
    return private


def _public_hex(public: Ed25519PublicKey) -> str:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def _new_key_row() -> SigningKey:
    private = Ed25519PrivateKey.generate()
    public_hex = _public_hex(private.public_key())
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return SigningKey(public_key=public_hex, private_key_encrypted=_encrypt_private(raw, public_hex),
                      status=SigningKeyStatus.ACTIVE, created_at=utcnow())


def _lock_keys(session: Session) -> None:
    """Serialise key creation and rotation (PostgreSQL; SQLite serialises writers by itself)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_ID})


_ACTIVE = (select(SigningKey.id, SigningKey.public_key, SigningKey.private_key_encrypted)
           .where(SigningKey.status == SigningKeyStatus.ACTIVE).order_by(SigningKey.id.desc()).limit(1))


def _active_row(session: Session):
    """The newest ACTIVE key's (id, public_key, private_key_encrypted), or None: the columns only (no ORM entity:
    this read runs for every batch of tickets signed)."""
    return session.execute(_ACTIVE).first()


def _material(db: str, row) -> SigningKeyMaterial:
    assert row.id is not None
    cache_key = (db, row.id, row.public_key)
    with _lock:
        cached = _private_cache.get(cache_key)
    if cached is not None:
        return cached
    private = _decrypt_private(row.private_key_encrypted, row.public_key)
    material = SigningKeyMaterial(kid=row.id, private_key=private, public_key=private.public_key(),
                                  public_hex=row.public_key)
    with _lock:
        _private_cache[cache_key] = material
    return material


def get_active_key(session: Session) -> SigningKeyMaterial:
    """The key that signs new tickets (one indexed read; decryption is cached). Creates the first key if none."""
    db = _db_id(session)
    row = _active_row(session)
    if row is None and session.get_bind().dialect.name == "postgresql":
        with Session(session.get_bind(), expire_on_commit=False) as own:
            row = _create_first_key(own)
            own.commit()
    elif row is None:
        row = _create_first_key(session)
    if row.id is None or row.id > MAX_KID:
        raise RuntimeError("signing key id out of the uint16 range")
    return _material(db, row)


def _create_first_key(session: Session):
    _lock_keys(session)
    row = _active_row(session)
    if row is None:
        row = _new_key_row()
        session.add(row)
        session.flush()
        audit.record(session, "signing_key.created", target_type="signing_key", target_id=row.id)
    return row


def rotate(session: Session, *, actor_id: int | None = None) -> int:
    """Make a new ACTIVE key; every previous ACTIVE key becomes VERIFY_ONLY. Commits. Returns the new kid."""
    _lock_keys(session)
    previous = [k for k in session.execute(
        select(SigningKey.id).where(SigningKey.status == SigningKeyStatus.ACTIVE)).scalars()]
    session.execute(update(SigningKey).where(SigningKey.status == SigningKeyStatus.ACTIVE)
                    .values(status=SigningKeyStatus.VERIFY_ONLY))
    row = _new_key_row()
    session.add(row)
    session.flush()
    audit.record(session, "signing_key.rotated", actor_id=actor_id, target_type="signing_key", target_id=row.id,
                 previous=previous)
    session.commit()
    clear_cache()
    assert row.id is not None
    return row.id


def retire(session: Session, kid: int, *, actor_id: int | None = None) -> None:
    """VERIFY_ONLY -> RETIRED: tickets signed by `kid` stop verifying. Refuses the active key. Commits."""
    row = session.get(SigningKey, kid)
    if row is None:
        raise NotFoundError("Unknown signing key.")
    if row.status == SigningKeyStatus.ACTIVE:
        raise ConflictError("The active signing key cannot be retired: rotate first.", code="key_active")
    if row.status == SigningKeyStatus.RETIRED:
        return
    row.status = SigningKeyStatus.RETIRED
    row.retired_at = utcnow()
    session.add(row)
    audit.record(session, "signing_key.retired", actor_id=actor_id, target_type="signing_key", target_id=kid)
    session.commit()
    clear_cache()


def public_keys(session: Session, *, include_retired: bool = False) -> list[dict]:
    """Keys for offline scanners: kid, algorithm, raw 32-byte public key as hex, status, created_at (oldest first).

    Retired keys are left out unless asked for (a scanner that syncs should drop any kid it no longer receives).
    """
    stmt = select(SigningKey).order_by(SigningKey.id)
    if not include_retired:
        stmt = stmt.where(SigningKey.status != SigningKeyStatus.RETIRED)
    return [
        {"kid": k.id, "algorithm": ALGORITHM, "public_key": k.public_key, "status": k.status,
         "created_at": k.created_at, "retired_at": k.retired_at}
        for k in session.execute(stmt).scalars()
    ]


def verification_key(session: Session, kid: int, *, fresh: bool = False) -> Ed25519PublicKey | None:
    """The public key checking signatures made by `kid`; None when unknown or retired.

    Cached for `PUBLIC_KEY_TTL` seconds (misses are not cached); `fresh=True` bypasses and refreshes the cache.
    """
    cache_key = (_db_id(session), kid)
    now = time.monotonic()
    if not fresh:
        with _lock:
            hit = _public_cache.get(cache_key)
        if hit is not None and now - hit[1] < PUBLIC_KEY_TTL:
            return hit[0]
    row = session.execute(
        select(SigningKey.public_key, SigningKey.status).where(SigningKey.id == kid)).first()
    if row is None or row.status == SigningKeyStatus.RETIRED:
        with _lock:
            _public_cache.pop(cache_key, None)
        return None
    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(row.public_key))
    with _lock:
        _public_cache[cache_key] = (public, now)
    return public

