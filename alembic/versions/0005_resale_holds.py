"""resale listings held by a cart (issue 16: a resale ticket in a cart is reserved like seats)

Revision ID: 0005_resale_holds
Revises: 0005_outbox
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_resale_holds"
down_revision: str | Sequence[str] | None = "0005_outbox"  # re-chained after main's head at merge time
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("resale_listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_cart_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("held_until", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key("fk_resale_listings_held_cart_id_carts", "carts", ["held_cart_id"], ["id"])
        batch_op.create_index("ix_resale_listings_held_cart_id", ["held_cart_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("resale_listings", schema=None) as batch_op:
        batch_op.drop_index("ix_resale_listings_held_cart_id")
        batch_op.drop_constraint("fk_resale_listings_held_cart_id_carts", type_="foreignkey")
        batch_op.drop_column("held_until")
        batch_op.drop_column("held_cart_id")
