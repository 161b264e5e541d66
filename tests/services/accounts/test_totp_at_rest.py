"""Attack: read the TOTP secrets from a database dump (issue 11 item 6).

Before: `users.totp_secret` held the base32 secret in clear, so a dump (backup, SQL injection elsewhere, a
read-only replica) gave every user's second factor. Now no column of the row holds it; 2FA login still works
with oathtool's code; the ciphertext is bound to its user; the migration seals existing rows.
"""

from __future__ import annotations

import re

import pyotp
import pytest
from alembic import command
from sqlalchemy import create_engine, text, update
from sqlmodel import Session

from jo_app.models import User
from jo_app.services import secretbox
from jo_app.services.accounts import login, twofactor
from jo_app.services.accounts.passwords import hash_password
from jo_app.services.errors import AuthenticationError
from tests.services.accounts.test_twofactor import EMAIL, PASSWORD, away_from_step_edge, enable_2fa, make_user, oath
from tests.test_migrations import alembic_config, migration_url  # noqa: F401  (fixture)

BASE32_RUN = re.compile(r"[A-Z2-7]{16,}")


def _raw_row(session: Session, user_id: int) -> dict:
    """Every column of the user's row as the database returns it (what a dump contains)."""
    return dict(session.execute(text("SELECT * FROM users WHERE id = :id"), {"id": user_id}).mappings().one())


def test_no_column_holds_the_totp_secret_and_2fa_login_still_works(session: Session) -> None:
    user = make_user(session)
    secret, _codes = enable_2fa(session, user)
    row = _raw_row(session, user.id)
    dump = " ".join(str(value) for value in row.values())
    assert secret not in dump and secret.lower() not in dump
    assert not [column for column, value in row.items()
                if isinstance(value, str) and BASE32_RUN.search(value) and "totp" in column]
    assert row["totp_secret_encrypted"].startswith("v1:")
    # Login with 2FA still works, with a code computed by oathtool from the secret the user was shown.
    session.execute(update(User).where(User.id == user.id).values(totp_last_step=None))
    session.commit()
    away_from_step_edge()
    result = login.authenticate(session, email=EMAIL, password=PASSWORD, totp_code=oath(secret))
    assert result.user_id == user.id
    # ... and the replay guard still holds: the same code a second time is refused.
    with pytest.raises(AuthenticationError) as info:
        login.authenticate(session, email=EMAIL, password=PASSWORD, totp_code=oath(secret))
    assert info.value.code == "invalid_totp"


def test_a_sealed_secret_copied_onto_another_user_opens_nothing(session: Session) -> None:
    victim = make_user(session)
    secret, _ = enable_2fa(session, victim)
    attacker = make_user(session, "attacker@example.org")
    enable_2fa(session, attacker)
    stolen = _raw_row(session, victim.id)["totp_secret_encrypted"]
    session.execute(update(User).where(User.id == attacker.id).values(totp_secret_encrypted=stolen,
                                                                       totp_last_step=None))
    session.commit()
    stored = session.get(User, attacker.id, populate_existing=True)
    assert twofactor.stored_secret(stored) is None
    assert twofactor.verify_totp(session, stored, oath(secret)) is False


def test_the_wrong_secret_key_opens_nothing() -> None:
    sealed = secretbox.seal("JBSWY3DPEHPK3PXP", purpose="totp-secret", context="user:1", secret_key="k" * 40)
    assert secretbox.open_sealed(sealed, purpose="totp-secret", context="user:1", secret_key="k" * 40) \
        == "JBSWY3DPEHPK3PXP"
    for kwargs in ({"secret_key": "x" * 40, "context": "user:1"}, {"secret_key": "k" * 40, "context": "user:2"}):
        with pytest.raises(secretbox.SealedValueError):
            secretbox.open_sealed(sealed, purpose="totp-secret", **kwargs)


def test_the_migration_seals_existing_secrets(migration_url: str) -> None:  # noqa: F811
    """A database at the previous revision with a clear secret: after `upgrade head` the column is gone, the sealed
    value opens to the same secret and a 2FA login works; `downgrade` gives the clear secret back."""
    config = alembic_config(migration_url)
    command.upgrade(config, "0001")
    secret = pyotp.random_base32(32)
    engine = create_engine(migration_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (username, email, last_name, first_name, password_hash, security_key, created_at,"
                " role, is_verified, totp_secret, totp_enabled, is_locked) VALUES ('c', :email, 'D', 'C', :hash,"
                " :key, CURRENT_TIMESTAMP, 'visitor', true, :secret, true, false)"),
                {"email": EMAIL, "hash": hash_password(PASSWORD), "key": "a" * 64, "secret": secret})
        command.upgrade(config, "head")
        with Session(engine) as session:
            user_id = session.execute(text("SELECT id FROM users")).scalar_one()
            row = _raw_row(session, user_id)
            assert "totp_secret" not in row and secret not in str(row.values())
            user = session.get(User, user_id)
            assert twofactor.stored_secret(user) == secret
            away_from_step_edge()
            assert login.authenticate(session, email=EMAIL, password=PASSWORD,
                                      totp_code=oath(secret)).user_id == user_id
        command.downgrade(config, "0001")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT totp_secret FROM users")).scalar_one() == secret
    finally:
        engine.dispose()
