"""Simulated card payment: the only simulated part of the system (deterministic, no network).

Card checks are the real ones a payment page does (Luhn, expiry, CVC length); the outcome of a charge is decided
by Stripe's well-known test card numbers (`TEST_CARDS`); any other valid card number is accepted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from jo_app.services.errors import DomainError, ValidationError
from jo_app.timeutil import utcnow


class PaymentDeclinedError(DomainError):
    """The (simulated) bank refused the charge; `code` says why (card_declined, insufficient_funds...)."""

    code = "card_declined"


@dataclass(frozen=True)
class PaymentCard:
    number: str
    exp_month: int
    exp_year: int
    cvc: str
    holder: str = ""

    @property
    def digits(self) -> str:
        return normalise_number(self.number)


@dataclass(frozen=True)
class PaymentResult:
    reference: str
    last4: str
    amount_cents: int


# number -> (outcome code, safe message); "succeeded" means the charge goes through.
_OUTCOMES: dict[str, tuple[str, str]] = {
    "4242424242424242": ("succeeded", "Payment accepted."),
    "5555555555554444": ("succeeded", "Payment accepted."),
    "4000000000000002": ("card_declined", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("expired_card", "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", "Your card's security code is incorrect."),
}

TEST_CARDS: list[dict[str, str]] = [
    {"number": "4242 4242 4242 4242", "outcome": "succeeded", "description": "Visa, payment accepted"},
    {"number": "5555 5555 5555 4444", "outcome": "succeeded", "description": "Mastercard, payment accepted"},
    {"number": "4000 0000 0000 0002", "outcome": "card_declined", "description": "Declined by the bank"},
    {"number": "4000 0000 0000 9995", "outcome": "insufficient_funds", "description": "Insufficient funds"},
    {"number": "4000 0000 0000 0069", "outcome": "expired_card", "description": "Card reported expired"},
    {"number": "4000 0000 0000 0127", "outcome": "incorrect_cvc", "description": "Wrong security code"},
]


def normalise_number(number: str) -> str:
    """The card number without spaces and dashes."""
    return "".join(ch for ch in str(number) if ch not in " -")


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, ch in enumerate(reversed(digits)):
        value = int(ch)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def validate_card(card: PaymentCard, *, today: date | None = None) -> None:
    """Check number (13-19 digits, Luhn), expiry (month 1-12, not past) and CVC (3 digits, 4 for Amex)."""
    digits = card.digits
    if not digits.isascii() or not digits.isdigit() or not 13 <= len(digits) <= 19 or not luhn_ok(digits):
        raise ValidationError("The card number is not valid.", code="invalid_card_number", field="card_number")
    try:
        month, year = int(card.exp_month), int(card.exp_year)
    except (TypeError, ValueError):
        raise ValidationError("The expiry date is not valid.", code="invalid_expiry", field="expiry") from None
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise ValidationError("The expiry month must be between 1 and 12.", code="invalid_expiry", field="expiry")
    today = today or utcnow().date()
    if (year, month) < (today.year, today.month):
        raise ValidationError("This card has expired.", code="card_expired", field="expiry")
    if year > today.year + 20:
        raise ValidationError("The expiry date is not valid.", code="invalid_expiry", field="expiry")
    expected = 4 if digits[:2] in ("34", "37") else 3
    cvc = str(card.cvc).strip()
    if len(cvc) != expected or not cvc.isascii() or not cvc.isdigit():
        raise ValidationError(f"The security code must have {expected} digits.", code="invalid_cvc", field="cvc")


def _digest(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def charge(card: PaymentCard, amount_cents: int, *, idempotency_key: str) -> PaymentResult:
    """Charge `amount_cents`; same idempotency key and card give the same reference (as a real PSP would).

    Raises PaymentDeclinedError for the documented declining test cards. The card must have been validated.
    """
    if amount_cents < 0:
        raise ValueError("amount_cents must be >= 0")
    if not idempotency_key:
        raise ValueError("idempotency_key is required")
    digits = card.digits
    outcome, message = _OUTCOMES.get(digits, ("succeeded", "Payment accepted."))
    if outcome != "succeeded":
        raise PaymentDeclinedError(message, code=outcome, field="card_number")
    reference = "pay_" + _digest("charge", idempotency_key, digits, amount_cents)[:24]
    return PaymentResult(reference=reference, last4=digits[-4:], amount_cents=amount_cents)


def refund(reference: str, amount_cents: int) -> str:
    """Refund part or all of a charge; returns the refund reference."""
    if amount_cents < 0:
        raise ValueError("amount_cents must be >= 0")
    if not reference:
        raise ValueError("reference is required")
    return "re_" + _digest("refund", reference, amount_cents)[:24]
