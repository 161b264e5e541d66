"""Display helpers shared by the shop states: prices and dates pre-formatted in French and English.

States keep plain dicts with both labels (`*_fr`, `*_en`); pages pick one with the current language, so a
language switch needs no server round trip.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from jo_app.i18n import CATALOGUE
from jo_app.services.mail import format_price

PARIS = ZoneInfo("Europe/Paris")
_DAYS_FR = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
_MONTHS_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
_DAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
OFFER_TYPES = ("solo", "duo", "family")


def paris(moment: datetime) -> datetime:
    """A naive UTC datetime as Paris local time."""
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS)


def date_fr(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = paris(moment)
    return f"{_DAYS_FR[local.weekday()]} {local.day} {_MONTHS_FR[local.month - 1]} {local.year} · {local:%H:%M}"


def date_en(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = paris(moment)
    return f"{_DAYS_EN[local.weekday()]} {local.day} {_MONTHS_EN[local.month - 1]} {local.year} · {local:%H:%M}"


def money(cents: int) -> dict[str, str]:
    """{"fr": "1 234,50 €", "en": "€1,234.50"}."""
    return {"fr": format_price(cents, "fr"), "en": format_price(cents, "en")}


def labels(prefix: str, *, cents: int | None = None, moment: datetime | None = None) -> dict[str, str]:
    """`{prefix}_fr` / `{prefix}_en` entries for a price or a date (for a row dict)."""
    if cents is not None:
        value = money(cents)
        return {f"{prefix}_fr": value["fr"], f"{prefix}_en": value["en"]}
    return {f"{prefix}_fr": date_fr(moment), f"{prefix}_en": date_en(moment)}


def image_src(image: str | None) -> str:
    """Public URL of a catalogue image stored as a file name or path under assets/ (default picture otherwise)."""
    if not image:
        return ""
    if image.startswith(("http://", "https://", "/")):
        return image
    return "/" + image if image.startswith("sports/") else f"/sports/{image}"


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


def error_key(code: str | None) -> str:
    """Catalogue key (`err.shop.<code>`) for a DomainError code; the generic message when unknown."""
    key = f"err.shop.{code}"
    return key if code and key in CATALOGUE else "err.shop.generic"
