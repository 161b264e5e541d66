"""ticket ownership: named holders, transfers, revoked QR ids, live QR (static QR switch), resale
listings, new gate verdicts

Revision ID: 0004_owners
Revises: 0003_holds
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_owners"
down_revision: str | Sequence[str] | None = "0003_holds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_VERDICTS = "'VALID', 'ALREADY_USED', 'INVALID', 'UNKNOWN_TICKET', 'CANCELLED', 'WRONG_DAY', 'WRONG_EVENT'"
_NEW_VERDICTS = _OLD_VERDICTS + ", 'TRANSFERRED', 'CODE_EXPIRED', 'STATIC_REFUSED'"


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("static_qr_enabled", sa.Boolean(), server_default=sa.text("true"),
                                      nullable=False))
        batch_op.add_column(sa.Column("resale_enabled", sa.Boolean(), server_default=sa.text("false"),
                                      nullable=False))
        batch_op.add_column(sa.Column("resale_fee_bps", sa.Integer(), server_default=sa.text("0"), nullable=False))
        batch_op.create_check_constraint("ck_events_resale_fee", "resale_fee_bps >= 0 AND resale_fee_bps <= 5000")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holder_first_name", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("holder_last_name", sa.String(length=50), nullable=True))
    with op.batch_alter_table("scan_attempts", schema=None) as batch_op:
        batch_op.drop_constraint("ck_scan_attempts_verdict", type_="check")
        batch_op.create_check_constraint("ck_scan_attempts_verdict", f"verdict IN ({_NEW_VERDICTS})")
    op.create_table(
        "ticket_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=False),
        sa.Column("to_email", sa.String(length=254), nullable=False),
        sa.Column("to_user_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'cancelled', 'expired')",
                           name="ck_ticket_transfers_status"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_ticket_transfers_ticket_id_tickets"),
        sa.ForeignKeyConstraint(["from_user_id"], ["users.id"], name="fk_ticket_transfers_from_user_id_users"),
        sa.ForeignKeyConstraint(["to_user_id"], ["users.id"], name="fk_ticket_transfers_to_user_id_users"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash", name="uq_ticket_transfers_token_hash"),
    )
    with op.batch_alter_table("ticket_transfers", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_transfers_ticket_id", ["ticket_id"], unique=False)
        batch_op.create_index("ix_ticket_transfers_to_email", ["to_email"], unique=False)
        batch_op.create_index("uq_ticket_transfers_one_pending", ["ticket_id"], unique=True,
                              postgresql_where=sa.text("status = 'pending'"),
                              sqlite_where=sa.text("status = 'pending'"))
    op.create_table(
        "ticket_revocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("qr_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("reason IN ('transferred', 'resold')", name="ck_ticket_revocations_reason"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_ticket_revocations_ticket_id_tickets"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("qr_id", name="uq_ticket_revocations_qr_id"),
    )
    with op.batch_alter_table("ticket_revocations", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_revocations_ticket_id", ["ticket_id"], unique=False)
        batch_op.create_index("ix_ticket_revocations_created_at", ["created_at"], unique=False)


    op.create_table(
        "resale_listings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("fee_cents", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("buyer_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("refund_reference", sa.String(length=40), nullable=True),
        sa.CheckConstraint("status IN ('listed', 'withdrawn', 'sold')", name="ck_resale_listings_status"),
        sa.CheckConstraint("price_cents >= 0 AND fee_cents >= 0 AND fee_cents <= price_cents",
                           name="ck_resale_listings_amounts"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_resale_listings_ticket_id_tickets"),
        sa.ForeignKeyConstraint(["seller_id"], ["users.id"], name="fk_resale_listings_seller_id_users"),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name="fk_resale_listings_event_id_events"),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"], name="fk_resale_listings_offer_id_offers"),
        sa.ForeignKeyConstraint(["buyer_id"], ["users.id"], name="fk_resale_listings_buyer_id_users"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_resale_listings_order_id_orders"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("resale_listings", schema=None) as batch_op:
        batch_op.create_index("ix_resale_listings_offer_status", ["offer_id", "status"], unique=False)
        batch_op.create_index("ix_resale_listings_event_status", ["event_id", "status"], unique=False)
        batch_op.create_index("ix_resale_listings_ticket_id", ["ticket_id"], unique=False)
        batch_op.create_index("uq_resale_listings_one_listed", ["ticket_id"], unique=True,
                              postgresql_where=sa.text("status = 'listed'"),
                              sqlite_where=sa.text("status = 'listed'"))


def downgrade() -> None:
    op.drop_table("resale_listings")
    op.drop_table("ticket_revocations")
    op.drop_table("ticket_transfers")
    op.execute("DELETE FROM scan_attempts WHERE verdict IN ('TRANSFERRED', 'CODE_EXPIRED', 'STATIC_REFUSED')")
    with op.batch_alter_table("scan_attempts", schema=None) as batch_op:
        batch_op.drop_constraint("ck_scan_attempts_verdict", type_="check")
        batch_op.create_check_constraint("ck_scan_attempts_verdict", f"verdict IN ({_OLD_VERDICTS})")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("holder_last_name")
        batch_op.drop_column("holder_first_name")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint("ck_events_resale_fee", type_="check")
        batch_op.drop_column("resale_fee_bps")
        batch_op.drop_column("resale_enabled")
        batch_op.drop_column("static_qr_enabled")
