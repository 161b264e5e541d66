"""outbox of durable jobs (confirmation mails written in the order's transaction, sent by a worker)

Revision ID: 0005_outbox
Revises: 0004_owners
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_outbox"
down_revision: str | Sequence[str] | None = "0004_owners"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("locked_by", sa.String(length=80), nullable=True),
        sa.Column("sent", sa.Text(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'running', 'done', 'dead')", name="ck_outbox_jobs_status"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_jobs_status_run_after", ["status", "run_after"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_jobs_status_run_after")
    op.drop_table("outbox_jobs")
