"""Ticket signing keys: lazy creation, encryption at rest, rotation, retirement, caching."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.serialization import Encoding, PrivateFormat, PublicFormat
from sqlalchemy import func, select, update
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.models import AuditLog, SigningKey, SigningKeyStatus
from jo_app.services.errors import ConflictError, NotFoundError
from jo_app.services.tickets import signing


@pytest.fixture(autouse=True)
def _fresh_cache():
    signing.clear_cache()
    yield
    signing.clear_cache()


def _statuses(session: Session) -> dict[int, str]:
    session.expire_all()
    return dict(session.execute(select(SigningKey.id, SigningKey.status)).all())


def test_first_key_is_created_lazily_once_and_encrypted_at_rest(session: Session) -> None:
    assert session.execute(select(func.count()).select_from(SigningKey)).scalar_one() == 0
    first = signing.get_active_key(session)
    again = signing.get_active_key(session)
    assert first.kid == again.kid == 1
    assert _statuses(session) == {1: SigningKeyStatus.ACTIVE.value}

    row = session.get(SigningKey, 1)
    raw_private = first.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                                  signing.NoEncryption()).hex()
    assert row.public_key == first.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    assert raw_private not in row.private_key_encrypted
    assert row.private_key_encrypted.startswith("v1:")
    # the stored key really signs what the public key verifies
    first.public_key.verify(first.sign(b"hello"), b"hello")
    assert session.execute(select(func.count()).select_from(AuditLog)
                           .where(AuditLog.action == "signing_key.created")).scalar_one() == 1


def test_private_key_unreadable_with_another_secret(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    signing.get_active_key(session)
    monkeypatch.setenv("SECRET_KEY", "another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    get_settings.cache_clear()
    signing.clear_cache()
    try:
        with pytest.raises(InvalidTag):
            signing.get_active_key(session)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert signing.get_active_key(session).kid == 1


def test_ciphertext_is_bound_to_its_public_key(session: Session) -> None:
    signing.get_active_key(session)
    signing.rotate(session)
    one, two = session.get(SigningKey, 1), session.get(SigningKey, 2)
    with pytest.raises(InvalidTag):
        signing._decrypt_private(one.private_key_encrypted, two.public_key)


def test_rotate_keeps_old_key_verifying_and_retire_stops_it(session: Session) -> None:
    old = signing.get_active_key(session)
    new_kid = signing.rotate(session, actor_id=None)
    assert new_kid == old.kid + 1
    assert _statuses(session) == {old.kid: "verify_only", new_kid: "active"}
    assert signing.get_active_key(session).kid == new_kid

    message = b"ticket"
    assert signing.verification_key(session, old.kid) is not None
    signing.verification_key(session, old.kid).verify(old.sign(message), message)
    listed = signing.public_keys(session)
    assert [(k["kid"], k["status"], k["algorithm"]) for k in listed] == [
        (old.kid, "verify_only", "Ed25519"), (new_kid, "active", "Ed25519")]
    assert listed[0]["public_key"] == old.public_hex and len(bytes.fromhex(listed[0]["public_key"])) == 32

    with pytest.raises(ConflictError):
        signing.retire(session, new_kid)
    signing.retire(session, old.kid)
    assert _statuses(session)[old.kid] == "retired"
    assert session.get(SigningKey, old.kid).retired_at is not None
    assert signing.verification_key(session, old.kid) is None
    assert [k["kid"] for k in signing.public_keys(session)] == [new_kid]
    assert [k["kid"] for k in signing.public_keys(session, include_retired=True)] == [old.kid, new_kid]
    actions = session.execute(select(AuditLog.action).order_by(AuditLog.id)).scalars().all()
    assert "signing_key.rotated" in actions and "signing_key.retired" in actions


def test_retire_unknown_key_and_unknown_kid(session: Session) -> None:
    with pytest.raises(NotFoundError):
        signing.retire(session, 42)
    assert signing.verification_key(session, 42) is None


def test_rotation_demotes_every_active_key(session: Session) -> None:
    """Two ACTIVE keys (an SQLite creation race) are both demoted by the next rotation."""
    signing.get_active_key(session)
    session.add(signing._new_key_row())
    session.commit()
    assert signing.get_active_key(session).kid == 2  # highest active kid signs
    kid = signing.rotate(session)
    assert _statuses(session) == {1: "verify_only", 2: "verify_only", kid: "active"}


def test_public_key_cache_sees_other_process_retirement_after_ttl(session: Session,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    old = signing.get_active_key(session)
    signing.rotate(session)
    assert signing.verification_key(session, old.kid) is not None  # now cached
    # another process retires the key (plain SQL, so this process's cache is not told)
    session.execute(update(SigningKey).where(SigningKey.id == old.kid).values(status="retired"))
    session.commit()
    assert signing.verification_key(session, old.kid) is not None  # still cached (bounded staleness)
    monkeypatch.setattr(signing, "PUBLIC_KEY_TTL", 0.0)
    assert signing.verification_key(session, old.kid) is None


def test_concurrent_first_use_creates_one_key_on_postgres(pg_engine) -> None:
    import threading

    barrier, kids, errors = threading.Barrier(8), [], []

    def worker() -> None:
        try:
            with Session(pg_engine) as own:
                barrier.wait()
                kids.append(signing.get_active_key(own).kid)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert kids == [1] * 8
    with Session(pg_engine) as check:
        assert check.execute(select(func.count()).select_from(SigningKey)).scalar_one() == 1
