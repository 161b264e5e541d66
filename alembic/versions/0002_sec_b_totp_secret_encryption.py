"""TOTP secrets encrypted at rest: users.totp_secret (clear base32) -> users.totp_secret_encrypted (sealed)

Data migration: every existing secret is sealed with `jo_app.services.secretbox` (AES-256-GCM under the
SECRET_KEY of the environment running the migration, bound to the user id), then the clear column is dropped.
Downgrade opens them back into the clear column.

Revision ID: 0002_sec_b
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_sec_b"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PURPOSE = "totp-secret"  # jo_app.services.twofactor.SEAL_PURPOSE at the time of this revision

users = sa.table("users", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String),
                 sa.column("totp_secret_encrypted", sa.String))


def upgrade() -> None:
    from jo_app.services import secretbox

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_secret_encrypted", sa.String(length=128), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None))).all()
    for user_id, secret in rows:
        sealed = secretbox.seal(secret, purpose=PURPOSE, context=f"user:{user_id}")
        conn.execute(users.update().where(users.c.id == user_id).values(totp_secret_encrypted=sealed))
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_secret")


def downgrade() -> None:
    from jo_app.services import secretbox

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(users.c.id, users.c.totp_secret_encrypted)
                        .where(users.c.totp_secret_encrypted.is_not(None))).all()
    for user_id, sealed in rows:
        secret = secretbox.open_sealed(sealed, purpose=PURPOSE, context=f"user:{user_id}")
        conn.execute(users.update().where(users.c.id == user_id).values(totp_secret=secret))
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_secret_encrypted")
