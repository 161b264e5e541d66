"""Enumerations stored as short strings (portable, readable in SQL, checked by constraints)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


class Lang(StrEnum):
    """A user's language: the site's, and every mail sent to them (jo_app/i18n LANGS)."""

    FR = "fr"
    EN = "en"


class Role(StrEnum):
    VISITOR = "visitor"
    EMPLOYEE = "employee"
    ADMIN = "admin"


class OfferType(StrEnum):
    SOLO = "solo"
    DUO = "duo"
    FAMILY = "family"

    @property
    def persons(self) -> int:
        """Persons admitted by one pack of this type."""
        return OFFER_PERSONS[self]


OFFER_PERSONS: dict[OfferType, int] = {OfferType.SOLO: 1, OfferType.DUO: 2, OfferType.FAMILY: 4}


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    CANCELLED = "cancelled"


class TicketStatus(StrEnum):
    VALID = "valid"
    USED = "used"
    CANCELLED = "cancelled"


class ScanVerdict(StrEnum):
    VALID = "VALID"
    ALREADY_USED = "ALREADY_USED"
    INVALID = "INVALID"
    UNKNOWN_TICKET = "UNKNOWN_TICKET"
    CANCELLED = "CANCELLED"
    WRONG_DAY = "WRONG_DAY"
    WRONG_EVENT = "WRONG_EVENT"
    TRANSFERRED = "TRANSFERRED"  # an old QR of a ticket re-keyed for another holder (transfer, resale)
    CODE_EXPIRED = "CODE_EXPIRED"  # a live QR whose time code is stale (screenshot) or wrong
    STATIC_REFUSED = "STATIC_REFUSED"  # a static (printed) QR for a session that accepts live QRs only


class TransferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ListingStatus(StrEnum):
    LISTED = "listed"
    WITHDRAWN = "withdrawn"
    SOLD = "sold"


class RevocationReason(StrEnum):
    TRANSFERRED = "transferred"
    RESOLD = "resold"


class SigningKeyStatus(StrEnum):
    ACTIVE = "active"  # signs new tickets and verifies
    VERIFY_ONLY = "verify_only"  # rotated out: still verifies tickets it signed
    RETIRED = "retired"  # verifies nothing


class EmailCodePurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"


def check_in(column: str, enum: type[StrEnum]) -> str:
    """SQL CHECK expression restricting `column` to the enum's values."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


def enum_type(enum: type[StrEnum], length: int = 16) -> Enum:
    """The column type of `enum`: VARCHAR(length) holding the members' values (the same strings as before), read
    back as members. No CHECK from the type: each table names its own (`check_in`); unknown strings are refused
    at flush."""
    return Enum(enum, native_enum=False, length=length, create_constraint=False, validate_strings=True,
                values_callable=lambda members: [member.value for member in members])
