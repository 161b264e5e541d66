"""SQLModel tables. Importing this package registers every table on `SQLModel.metadata`."""

from jo_app.models.audit import AuditLog
from jo_app.models.catalog import Event, Offer
from jo_app.models.commerce import Cart, CartItem, Order, OrderItem
from jo_app.models.enums import (
    EmailCodePurpose,
    OfferType,
    OrderStatus,
    Role,
    ScanVerdict,
    SigningKeyStatus,
    TicketStatus,
)
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
    "AuditLog", "Cart", "CartItem", "Consent", "EmailCode", "EmailCodePurpose", "Event", "LoginAttempt",
    "LoginHandoff", "Offer", "OfferType", "Order", "OrderItem", "OrderStatus", "RecoveryCode", "Role", "ScanAttempt",
    "ScanVerdict", "SigningKey", "SigningKeyStatus", "Ticket", "TicketStatus", "User", "UserSession",
]
