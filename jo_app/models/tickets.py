"""E-tickets, gate scan records and the ticket signing keys."""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import CheckConstraint, Column, Index, Text
from sqlmodel import Field, SQLModel

from jo_app.models.enums import ScanVerdict, SigningKeyStatus, TicketStatus, check_in, enum_type
from jo_app.timeutil import utcnow


class Ticket(SQLModel, table=True):
    """One e-ticket per pack unit; it admits `persons` people once (spec 3.1.3 `Ticket`)."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(check_in("status", TicketStatus), name="ck_tickets_status"),
        Index("ix_tickets_order_id", "order_id"),
        Index("ix_tickets_user_id", "user_id"),
        Index("ix_tickets_event_id_status", "event_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, sa_column_kwargs={"unique": True}, nullable=False)
    order_id: int = Field(foreign_key="orders.id", nullable=False)
    offer_id: int = Field(foreign_key="offers.id", nullable=False)
    event_id: int = Field(foreign_key="events.id", nullable=False)
    user_id: int = Field(foreign_key="users.id", nullable=False)
    persons: int
    holder_name: str = Field(max_length=110)  # shown on the PDF, the ticket page and the gate verdict
    # The holder as named by the owner (None until named: holder_name is then the buyer's name).
    holder_first_name: str | None = Field(default=None, max_length=50)
    holder_last_name: str | None = Field(default=None, max_length=50)
    user_key: str = Field(max_length=64)
    purchase_key: str = Field(max_length=64)
    ticket_key: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    qr_id: str = Field(max_length=32, sa_column_kwargs={"unique": True}, nullable=False)
    qr_payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: TicketStatus = Field(default=TicketStatus.VALID, sa_column=Column(enum_type(TicketStatus), nullable=False))
    generated_at: NaiveDatetime = Field(default_factory=utcnow)
    used_at: NaiveDatetime | None = None
    used_by_id: int | None = Field(default=None, foreign_key="users.id")
    used_gate: str | None = Field(default=None, max_length=60)
    cancelled_at: NaiveDatetime | None = None


class ScanAttempt(SQLModel, table=True):
    """Every gate scan, whatever its verdict (audit trail and anomaly detection)."""

    __tablename__ = "scan_attempts"
    __table_args__ = (
        CheckConstraint(check_in("verdict", ScanVerdict), name="ck_scan_attempts_verdict"),
        Index("ix_scan_attempts_created_at", "created_at"),
        Index("ix_scan_attempts_ticket_id", "ticket_id"),
        Index("ix_scan_attempts_gate_created", "gate", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    event_id: int | None = Field(default=None, foreign_key="events.id")
    employee_id: int | None = Field(default=None, foreign_key="users.id")
    gate: str = Field(max_length=60)
    verdict: ScanVerdict = Field(sa_column=Column(enum_type(ScanVerdict), nullable=False))
    detail: str = Field(default="", max_length=255)


class SigningKey(SQLModel, table=True):
    """An Ed25519 key pair signing ticket QR payloads; `id` is the key id carried in each payload.

    The private key is stored encrypted (AES-GCM, key derived from SECRET_KEY); rotation makes a new ACTIVE key
    and keeps the old ones verifying until they are retired.
    """

    __tablename__ = "signing_keys"
    __table_args__ = (CheckConstraint(check_in("status", SigningKeyStatus), name="ck_signing_keys_status"),)

    id: int | None = Field(default=None, primary_key=True)
    public_key: str = Field(max_length=64)
    private_key_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    status: SigningKeyStatus = Field(default=SigningKeyStatus.ACTIVE,
                                     sa_column=Column(enum_type(SigningKeyStatus), nullable=False))
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    retired_at: NaiveDatetime | None = None
