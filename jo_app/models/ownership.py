"""Ticket ownership: transfers between accounts and the revoked QR codes they leave behind."""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import CheckConstraint, Column, Index, text
from sqlmodel import Field, SQLModel

from jo_app.models.enums import RevocationReason, TransferStatus, check_in, enum_type
from jo_app.timeutil import utcnow


class TicketTransfer(SQLModel, table=True):
    """A ticket offered by its owner to the holder of an e-mail address, until accepted, cancelled or expired.

    At most one PENDING transfer per ticket (partial unique index). The acceptance link carries a random token;
    only its SHA-256 is stored.
    """

    __tablename__ = "ticket_transfers"
    __table_args__ = (
        CheckConstraint(check_in("status", TransferStatus), name="ck_ticket_transfers_status"),
        Index("ix_ticket_transfers_ticket_id", "ticket_id"),
        Index("ix_ticket_transfers_to_email", "to_email"),
        Index("uq_ticket_transfers_one_pending", "ticket_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", nullable=False)
    from_user_id: int = Field(foreign_key="users.id", nullable=False)
    to_email: str = Field(max_length=254)
    to_user_id: int | None = Field(default=None, foreign_key="users.id")
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    status: TransferStatus = Field(default=TransferStatus.PENDING,
                                   sa_column=Column(enum_type(TransferStatus), nullable=False))
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    expires_at: NaiveDatetime
    decided_at: NaiveDatetime | None = None


class TicketRevocation(SQLModel, table=True):
    """A QR id that no longer admits anyone because its ticket was re-keyed (transfer, resale): the gate answers
    with the reason instead of a bare "invalid", and offline scanners fetch these as a block list."""

    __tablename__ = "ticket_revocations"
    __table_args__ = (
        CheckConstraint(check_in("reason", RevocationReason), name="ck_ticket_revocations_reason"),
        Index("ix_ticket_revocations_ticket_id", "ticket_id"),
        Index("ix_ticket_revocations_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", nullable=False)
    qr_id: str = Field(max_length=32, sa_column_kwargs={"unique": True}, nullable=False)
    reason: RevocationReason = Field(sa_column=Column(enum_type(RevocationReason), nullable=False))
    created_at: NaiveDatetime = Field(default_factory=utcnow)
