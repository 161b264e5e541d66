"""Password policy and hashing (bcrypt over a SHA-256 pre-hash, so long passwords are never truncated)."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

import bcrypt

from jo_app.config import get_settings
from jo_app.services.errors import ValidationError

MIN_LENGTH = 8
MAX_LENGTH = 128
UNUSABLE_PREFIX = "!"  # a stored hash starting with this never verifies (deleted accounts)

_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
_SUFFIX = re.compile(r"[\d!@#$%^&*?._\-+=~ ]+$")
_LEET = str.maketrans({"@": "a", "4": "a", "3": "e", "0": "o", "$": "s", "5": "s", "1": "i", "!": "i", "7": "t"})

RULE_MESSAGES = {
    "length": f"{MIN_LENGTH} to {MAX_LENGTH} characters",
    "upper": "an uppercase letter",
    "lower": "a lowercase letter",
    "digit": "a digit",
    "special": "a special character",
}


@cache
def common_passwords() -> frozenset[str]:
    """The refused very common passwords (lowercase)."""
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def password_rules(password: str) -> dict[str, bool]:
    """Which composition rules `password` meets (for live hints in the UI)."""
    password = password or ""
    return {
        "length": MIN_LENGTH <= len(password) <= MAX_LENGTH,
        "upper": any(c.isupper() for c in password),
        "lower": any(c.islower() for c in password),
        "digit": any(c.isdigit() for c in password),
        "special": any(not c.isalnum() and not c.isspace() for c in password),
    }


def is_common_password(password: str) -> bool:
    """True for a very common password, also once digits/punctuation suffixes and leetspeak are undone."""
    common = common_passwords()
    lowered = password.lower().strip()
    candidates = {lowered, _SUFFIX.sub("", lowered)}
    for value in list(candidates):
        leet = value.translate(_LEET)
        candidates |= {leet, _SUFFIX.sub("", leet), value.replace("1", "l").translate(_LEET)}
    return any(c in common for c in candidates if c)


def validate_password_policy(password: str, *, email: str | None = None) -> None:
    """Raise ValidationError(field="password") listing every unmet rule; refuse common and e-mail-based ones."""
    password = password or ""
    missing = [RULE_MESSAGES[name] for name, ok in password_rules(password).items() if not ok]
    if missing:
        raise ValidationError("Password must contain " + ", ".join(missing) + ".", field="password",
                              reason="password_rules")
    if is_common_password(password):
        raise ValidationError("This password is too common. Choose a less predictable one.", field="password",
                              reason="password_common")
    if email and "@" in email:
        local = email.split("@", 1)[0].strip().lower()
        if len(local) >= 3 and local in password.lower():
            raise ValidationError("Password must not contain your e-mail address.", field="password",
                                  reason="password_email")


def _prehash(password: str) -> bytes:
    """SHA-256 then base64 (44 ASCII bytes, no NUL): bcrypt's 72-byte limit never truncates the input."""
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str) -> str:
    """bcrypt hash (cost from settings.bcrypt_rounds) of the pre-hashed password."""
    rounds = get_settings().bcrypt_rounds
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds=rounds)).decode("ascii")


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant-time check of `password` against a stored hash; False for unusable or malformed hashes."""
    if not password_hash or password_hash.startswith(UNUSABLE_PREFIX) or password is None:
        return False
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode("ascii"))
    except ValueError:
        return False


def unusable_password_hash() -> str:
    """A value stored in place of a hash that no password matches."""
    return UNUSABLE_PREFIX + "unusable"


@cache
def _dummy_hash(rounds: int) -> str:
    return bcrypt.hashpw(_prehash("dummy-password-for-timing"), bcrypt.gensalt(rounds=rounds)).decode("ascii")


def burn_verify_time(password: str) -> None:
    """Spend the time of a real verification (unknown user), so timing does not reveal which e-mails exist."""
    verify_password(password or "", _dummy_hash(get_settings().bcrypt_rounds))
