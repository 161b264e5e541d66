"""Display helpers shared by the shop states: prices and dates pre-formatted in French and English (Babel).

States keep plain dicts with both labels (`*_fr`, `*_en`); pages pick one with the current language, so a
language switch needs no server round trip.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from jo_app.i18n import LANGS
from jo_app.i18n.formats import PARIS, format_price, format_short, format_stamp, paris

__all__ = ["PARIS", "paris"]
OFFER_TYPES = ("solo", "duo", "family")


def paris_stamp(moment: datetime | None, *, seconds: bool = True) -> str:
    """A naive UTC datetime as a compact Paris-time stamp, "31/07/2024 18:05:09" (the admin pages' format)."""
    return format_stamp(moment, seconds=seconds)


# Babel's formatting costs ~20-60 us per label; a cart or an order view formats the same few prices and session
# dates at every change (each UI order formatted ~16 labels). The results depend on the value only (prices in euros,
# dates in Paris time), so they are remembered (a bounded cache per process).
@lru_cache(maxsize=4096)
def _money_labels(cents: int) -> tuple[tuple[str, str], ...]:
    return tuple((lang, format_price(cents, lang)) for lang in LANGS)


@lru_cache(maxsize=4096)
def _date_labels(moment: datetime | None) -> tuple[tuple[str, str], ...]:
    return tuple((lang, format_short(moment, lang)) for lang in LANGS)


def money(cents: int) -> dict[str, str]:
    """{"fr": "1 234,50 €", "en": "€1,234.50"} (Babel)."""
    return dict(_money_labels(cents))


def labels(prefix: str, *, cents: int | None = None, moment: datetime | None = None) -> dict[str, str]:
    """`{prefix}_fr` / `{prefix}_en` entries for a price or a date (for a row dict)."""
    if cents is not None:
        return {f"{prefix}_{lang}": value for lang, value in _money_labels(cents)}
    return {f"{prefix}_{lang}": value for lang, value in _date_labels(moment)}


def image_src(image: str | None) -> str:
    """Public URL of a catalogue image stored as a file name or path under assets/ (default picture otherwise)."""
    if not image:
        return ""
    if image.startswith(("http://", "https://", "/")):
        return image
    return "/" + image if image.startswith("sports/") else f"/sports/{image}"
