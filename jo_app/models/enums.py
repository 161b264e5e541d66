"""Enumerations stored as short strings (portable, readable in SQL, checked by constraints)."""

from __future__ import annotations

from enum import StrEnum


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
