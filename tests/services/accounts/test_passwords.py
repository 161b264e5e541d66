"""Password policy and hashing."""

from __future__ import annotations

import bcrypt
import pytest

from jo_app.config import get_settings
from jo_app.services.accounts.passwords import (
    common_passwords,
    hash_password,
    password_rules,
    unusable_password_hash,
    validate_password_policy,
    verify_password,
)
from jo_app.services.errors import ValidationError

GOOD = "Tr4ck&Field-Lyon"


def _policy_error(password: str, email: str | None = None) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate_password_policy(password, email=email)
    assert info.value.field == "password"
    return info.value


def test_good_password_passes() -> None:
    validate_password_policy(GOOD, email="camille.durand@example.org")
    assert all(password_rules(GOOD).values())


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("Ab1!", ["8 to 128 characters"]),
        ("alllowercase1!", ["an uppercase letter"]),
        ("ALLUPPERCASE1!", ["a lowercase letter"]),
        ("NoDigitsHere!!", ["a digit"]),
        ("NoSpecial1234x", ["a special character"]),
        ("abcdefgh", ["an uppercase letter", "a digit", "a special character"]),
        ("", ["8 to 128 characters", "an uppercase letter", "a lowercase letter", "a digit", "a special character"]),
    ],
)
def test_policy_lists_every_missing_rule(password: str, missing: list[str]) -> None:
    message = _policy_error(password).message
    for rule in missing:
        assert rule in message
    others = {"8 to 128 characters", "an uppercase letter", "a lowercase letter", "a digit",
              "a special character"} - set(missing)
    for rule in others:
        assert rule not in message


def test_too_long_password_refused() -> None:
    assert "8 to 128 characters" in _policy_error("Aa1!" * 32 + "x").message
    validate_password_policy("Zq9#" * 32)  # exactly 128 is fine


def test_rules_for_live_hints() -> None:
    rules = password_rules("abc")
    assert set(rules) == {"length", "upper", "lower", "digit", "special"}
    assert rules == {"length": False, "upper": False, "lower": True, "digit": False, "special": False}
    assert password_rules("ABCdef12#x")["special"] is True


def test_common_list_is_substantial_and_lowercase() -> None:
    words = common_passwords()
    assert len(words) >= 1000
    assert all(w == w.lower() for w in words)
    assert {"password", "123456", "qwerty", "azerty", "iloveyou", "soleil"} <= words


@pytest.mark.parametrize("password", ["Password123!", "Password1!", "P@ssw0rd2024!",
                                      "Azerty123!", "Qwerty!2024", "Iloveyou1!", "Soleil2024!", "Football#99"])
def test_common_passwords_refused_even_with_suffixes(password: str) -> None:
    assert all(password_rules(password).values())
    assert "too common" in _policy_error(password).message


def test_password_containing_email_local_part_refused() -> None:
    err = _policy_error("Camille.Durand#2024", email="camille.durand@example.org")
    assert "e-mail" in err.message
    validate_password_policy("Camille.Durand#2024", email="someone.else@example.org")


def test_hash_and_verify_roundtrip_uses_configured_rounds() -> None:
    hashed = hash_password(GOOD)
    assert hashed.startswith("$2b$")
    assert int(hashed.split("$")[2]) == get_settings().bcrypt_rounds
    assert verify_password(GOOD, hashed)
    assert not verify_password(GOOD + "x", hashed)
    assert not verify_password(GOOD.lower(), hashed)
    assert hash_password(GOOD) != hashed  # salted


def test_long_passwords_are_not_truncated_at_72_bytes() -> None:
    base = "Ä" * 40  # 80 UTF-8 bytes: raw bcrypt would only see the first 72
    hashed = hash_password(base + "one")
    assert verify_password(base + "one", hashed)
    assert not verify_password(base + "two", hashed)
    # The stored value is a standard bcrypt hash of the SHA-256/base64 pre-hash, not of the raw password.
    assert not bcrypt.checkpw((base + "one").encode()[:72], hashed.encode())


def test_unusable_and_malformed_hashes_never_verify() -> None:
    assert not verify_password("anything", unusable_password_hash())
    assert not verify_password("anything", "")
    assert not verify_password("anything", None)
    assert not verify_password("anything", "not-a-bcrypt-hash")
