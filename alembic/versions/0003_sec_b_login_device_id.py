"""login_attempts.device_id: failures counted per known device (device cookies, services.login_throttle)

Revision ID: 0003_sec_b
Revises: 0002_sec_b
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_sec_b"
down_revision: str | Sequence[str] | None = "0002_sec_b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("login_attempts") as batch:
        batch.add_column(sa.Column("device_id", sa.String(length=32), nullable=True))
        batch.create_index("ix_login_attempts_device_created", ["device_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_attempts") as batch:
        batch.drop_index("ix_login_attempts_device_created")
        batch.drop_column("device_id")
