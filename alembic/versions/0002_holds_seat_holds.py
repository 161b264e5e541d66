"""seat holds: events.seats_held and the seat_holds table

Revision ID: 0002_holds
Revises: 0003_sec_b
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_holds"
down_revision: str | Sequence[str] | None = "0003_sec_b"  # re-chained after main's head at merge time
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HELD_CHECK = "seats_held >= 0 AND seats_sold + seats_held <= capacity"


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seats_held", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint("ck_events_seats_held_within_capacity", HELD_CHECK)

    op.create_table(
        "seat_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("seats > 0", name="ck_seat_holds_seats_positive"),
        sa.ForeignKeyConstraint(["cart_id"], ["carts.id"], name="fk_seat_holds_cart_id_carts"),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name="fk_seat_holds_event_id_events"),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"], name="fk_seat_holds_offer_id_offers"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cart_id", "offer_id", name="uq_seat_holds_cart_offer"),
    )
    with op.batch_alter_table("seat_holds", schema=None) as batch_op:
        batch_op.create_index("ix_seat_holds_event_expires", ["event_id", "expires_at"], unique=False)
        batch_op.create_index("ix_seat_holds_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seat_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_seat_holds_expires_at")
        batch_op.drop_index("ix_seat_holds_event_expires")
    op.drop_table("seat_holds")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint("ck_events_seats_held_within_capacity", type_="check")
        batch_op.drop_column("seats_held")
