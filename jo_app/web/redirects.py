"""Safe redirect targets: only same-site relative paths (used by the login pages and the auth routes)."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_NEXT = "/"


def safe_next(value: str | None, default: str = DEFAULT_NEXT) -> str:
    """`value` if it is a same-site relative path ("/x", not "//host" nor "/\\host" nor a scheme), else default."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value
