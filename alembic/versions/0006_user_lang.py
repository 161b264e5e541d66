"""users.lang: the language of every mail sent to the user (issue 15), French for existing accounts

Revision ID: 0006_user_lang
Revises: 0005_resale_holds
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_user_lang"
down_revision: str | Sequence[str] | None = "0005_resale_holds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lang", sa.String(length=2), server_default="fr", nullable=False))
        batch_op.create_check_constraint("ck_users_lang", "lang IN ('fr', 'en')")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("ck_users_lang", type_="check")
        batch_op.drop_column("lang")
