"""Client input of the websocket handlers: any browser can send any value, so each is coerced and bounded here."""

from __future__ import annotations


def clean_text(value: object, limit: int = 100) -> str:
    """A client-supplied string, trimmed and bounded (anything else becomes "")."""
    return value.strip()[:limit] if isinstance(value, str) else ""


def as_int(value: object) -> int | None:
    """A client-supplied integer (int or digit string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value.strip()) < 12:
        return int(value.strip())
    return None
