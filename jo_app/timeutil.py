"""Time helpers: the whole system stores naive UTC datetimes (portable across SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current time as a naive UTC datetime (second precision is not assumed)."""
    return datetime.now(UTC).replace(tzinfo=None)
