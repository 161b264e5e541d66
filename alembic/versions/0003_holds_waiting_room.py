"""waiting room: onsales, queue_entries, events.onsale_id

Revision ID: 0003_holds
Revises: 0002_holds
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_holds"
down_revision: str | Sequence[str] | None = "0002_holds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "onsales",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.Column("pass_minutes", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("admitted_through", sa.Integer(), nullable=False),
        sa.Column("next_position", sa.Integer(), nullable=False),
        sa.Column("admit_credit", sa.Float(), nullable=False),
        sa.Column("last_tick_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("rate_per_minute > 0", name="ck_onsales_rate_positive"),
        sa.CheckConstraint("pass_minutes > 0", name="ck_onsales_pass_minutes_positive"),
        sa.CheckConstraint("admitted_through >= 0 AND next_position >= 1", name="ck_onsales_counters"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "queue_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("onsale_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("admitted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["onsale_id"], ["onsales.id"], name="fk_queue_entries_onsale_id_onsales"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_queue_entries_user_id_users"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("onsale_id", "position", name="uq_queue_entries_onsale_position"),
        sa.UniqueConstraint("onsale_id", "user_id", name="uq_queue_entries_onsale_user"),
    )
    with op.batch_alter_table("queue_entries", schema=None) as batch_op:
        batch_op.create_index("ix_queue_entries_user_id", ["user_id"], unique=False)
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("onsale_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_events_onsale_id_onsales", "onsales", ["onsale_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint("fk_events_onsale_id_onsales", type_="foreignkey")
        batch_op.drop_column("onsale_id")
    with op.batch_alter_table("queue_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_entries_user_id")
    op.drop_table("queue_entries")
    op.drop_table("onsales")
