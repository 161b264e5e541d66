"""SQLModel tables. Importing this package registers every table on `SQLModel.metadata`."""
# ruff: noqa: E402  (the naming convention is set before the model modules declare their tables)

from sqlmodel import SQLModel

# Deterministic constraint and index names, the ones the migrations created (set before any table is declared;
# explicit names in the models win). PRIMARY KEYs get PostgreSQL's own default name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "%(table_name)s_pkey",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

from jo_app.models.audit import AuditLog
from jo_app.models.catalog import Event, Offer
from jo_app.models.commerce import Cart, CartItem, Order, OrderItem, SeatHold
from jo_app.models.enums import (
    EmailCodePurpose,
    Lang,
    ListingStatus,
    OfferType,
    OrderStatus,
    RevocationReason,
    Role,
    ScanVerdict,
    SigningKeyStatus,
    TicketStatus,
    TransferStatus,
)
from jo_app.models.jobs import OutboxJob
from jo_app.models.ownership import TicketRevocation, TicketTransfer
from jo_app.models.queue import OnSale, QueueEntry
from jo_app.models.resale import ResaleListing
from jo_app.models.tickets import ScanAttempt, SigningKey, Ticket
from jo_app.models.users import (
    Consent,
    EmailCode,
    LoginAttempt,
    LoginHandoff,
    RecoveryCode,
    User,
    UserSession,
)

__all__ = [
    "AuditLog", "Cart", "CartItem", "Consent", "EmailCode", "EmailCodePurpose", "Event", "Lang", "ListingStatus",
    "LoginAttempt", "LoginHandoff", "Offer", "OfferType", "OnSale", "Order", "OrderItem", "OrderStatus",
    "OutboxJob", "QueueEntry",
    "RecoveryCode", "ResaleListing", "RevocationReason", "Role", "ScanAttempt", "ScanVerdict", "SeatHold", "SigningKey",
    "SigningKeyStatus", "Ticket", "TicketRevocation", "TicketStatus", "TicketTransfer", "TransferStatus", "User",
    "UserSession",
]
