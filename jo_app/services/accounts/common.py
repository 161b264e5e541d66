"""Helpers shared by the accounts modules (e-mail normalisation and user look-ups)."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from jo_app.models import User
from jo_app.services.errors import NotFoundError, ValidationError

_EMAIL = re.compile(r"^[^@\s\"<>()\[\],;:\\]+@[^@\s\"<>()\[\],;:\\]+\.[^@\s\"<>()\[\],;:\\.]{2,}$")
RESERVED_EMAIL_DOMAIN = "anonymized.invalid"


def normalize_email(email: str | None) -> str:
    """Strip and lowercase an e-mail address after a basic syntax check (ValidationError field="email")."""
    value = (email or "").strip().lower()
    if len(value) > 254 or not _EMAIL.match(value) or ".." in value:
        raise ValidationError("Enter a valid e-mail address.", field="email")
    local, domain = value.rsplit("@", 1)
    if len(local) > 64 or domain.startswith(".") or domain.endswith(".invalid"):
        raise ValidationError("Enter a valid e-mail address.", field="email")
    return value


def lenient_email(email: str | None) -> str:
    """Lowercased, stripped, length-capped form used to look up and log attempts (never raises)."""
    return (email or "").strip().lower()[:254]


def find_active_user_by_email(session: Session, email: str | None) -> User | None:
    """The non-anonymized user with this e-mail (case-insensitive), or None."""
    value = lenient_email(email)
    if not value:
        return None
    return session.exec(
        select(User).where(User.email == value, User.anonymized_at.is_(None))
        .execution_options(populate_existing=True)
    ).first()


def load_active_user(session: Session, user_id: int | None) -> User:
    """The user (fresh from the database) unless missing or anonymized (NotFoundError)."""
    user = session.get(User, user_id, populate_existing=True) if user_id is not None else None
    if user is None or user.anonymized_at is not None:
        raise NotFoundError("Account not found.", code="user_not_found")
    return user
