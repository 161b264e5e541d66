"""Simulated payment: card checks (Luhn, expiry, CVC) and the documented test-card outcomes."""

from __future__ import annotations

from datetime import date

import pytest

from jo_app.services import payment
from jo_app.services.errors import DomainError, ValidationError
from jo_app.services.payment import PaymentCard, PaymentDeclinedError

TODAY = date(2024, 7, 1)


def card(number: str = "4242 4242 4242 4242", month: int = 12, year: int = 2026, cvc: str = "123") -> PaymentCard:
    return PaymentCard(number=number, exp_month=month, exp_year=year, cvc=cvc, holder="Marie Curie")


@pytest.mark.parametrize("number", [
    "4242 4242 4242 4242", "4242-4242-4242-4242", "4242424242424242", "5555 5555 5555 4444",
    "4000 0000 0000 0002", "4000000000009995", "4000000000000069", "4222222222222",  # 13 digits
])
def test_valid_numbers_pass(number: str) -> None:
    payment.validate_card(card(number), today=TODAY)


@pytest.mark.parametrize("number", [
    "4242 4242 4242 4241",  # Luhn fails
    "4242 4242 4242",  # too short
    "4242 4242 4242 4242 4242",  # 20 digits
    "4242 4242 abcd 4242",
    "",
    "\uff14\uff12" * 8,  # full-width digits are not ASCII digits
])
def test_bad_numbers_are_refused_on_the_number_field(number: str) -> None:
    with pytest.raises(ValidationError) as err:
        payment.validate_card(card(number), today=TODAY)
    assert err.value.field == "card_number"


@pytest.mark.parametrize(("month", "year"), [(6, 2024), (12, 2023), (13, 2026), (0, 2026), (1, 2099)])
def test_bad_expiry(month: int, year: int) -> None:
    with pytest.raises(ValidationError) as err:
        payment.validate_card(card(month=month, year=year), today=TODAY)
    assert err.value.field == "expiry"


def test_expiry_current_month_is_accepted_and_two_digit_year_understood() -> None:
    payment.validate_card(card(month=7, year=2024), today=TODAY)
    payment.validate_card(card(month=7, year=24), today=TODAY)
    with pytest.raises(ValidationError):
        payment.validate_card(card(month=6, year=24), today=TODAY)


@pytest.mark.parametrize(("number", "cvc", "ok"), [
    ("4242424242424242", "123", True), ("4242424242424242", "1234", False), ("4242424242424242", "12", False),
    ("4242424242424242", "12a", False), ("378282246310005", "1234", True), ("378282246310005", "123", False),
    ("371449635398431", "9876", True),
])
def test_cvc_length_depends_on_the_brand(number: str, cvc: str, ok: bool) -> None:
    if ok:
        payment.validate_card(card(number, cvc=cvc), today=TODAY)
    else:
        with pytest.raises(ValidationError) as err:
            payment.validate_card(card(number, cvc=cvc), today=TODAY)
        assert err.value.field == "cvc"


@pytest.mark.parametrize(("number", "code"), [
    ("4000 0000 0000 0002", "card_declined"),
    ("4000 0000 0000 9995", "insufficient_funds"),
    ("4000 0000 0000 0069", "expired_card"),
    ("4000 0000 0000 0127", "incorrect_cvc"),
])
def test_declining_test_cards(number: str, code: str) -> None:
    with pytest.raises(PaymentDeclinedError) as err:
        payment.charge(card(number), 5000, idempotency_key="k1")
    assert err.value.code == code
    assert isinstance(err.value, DomainError)


def test_charge_succeeds_deterministically_and_per_key() -> None:
    first = payment.charge(card(), 5000, idempotency_key="k1")
    again = payment.charge(card(), 5000, idempotency_key="k1")
    other = payment.charge(card(), 5000, idempotency_key="k2")
    assert first == again
    assert first.reference != other.reference
    assert first.last4 == "4242"
    assert first.amount_cents == 5000
    assert first.reference.startswith("pay_") and len(first.reference) <= 40


def test_refund_reference() -> None:
    ref = payment.refund("pay_abc", 2500)
    assert ref.startswith("re_") and ref == payment.refund("pay_abc", 2500) != payment.refund("pay_abc", 2400)
    with pytest.raises(ValueError):
        payment.refund("", 100)


def test_test_cards_list_matches_behaviour() -> None:
    outcomes = {c["outcome"] for c in payment.TEST_CARDS}
    assert {"succeeded", "card_declined", "insufficient_funds", "expired_card"} <= outcomes
    for entry in payment.TEST_CARDS:
        c = card(entry["number"])
        payment.validate_card(c, today=TODAY)  # every documented card passes the form checks
        if entry["outcome"] == "succeeded":
            assert payment.charge(c, 100, idempotency_key="x").last4 == c.digits[-4:]
        else:
            with pytest.raises(PaymentDeclinedError) as err:
                payment.charge(c, 100, idempotency_key="x")
            assert err.value.code == entry["outcome"]
