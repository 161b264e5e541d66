"""Dates, numbers and money in French or English, by Babel (CLDR data); times are shown in Paris time.

Times in the app are naive UTC (`jo_app.timeutil`); every function here converts to Europe/Paris first.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time, get_datetime_format
from babel.numbers import format_currency, format_decimal

PARIS = ZoneInfo("Europe/Paris")
CURRENCY = "EUR"
LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def _locale(lang: str | None) -> str:
    return LOCALES.get(lang or "", LOCALES["fr"])


def paris(moment: datetime) -> datetime:
    """A naive UTC datetime as an aware Europe/Paris one."""
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS)


def format_price(cents: int, lang: str | None = "fr") -> str:
    """Integer cents as euros: `1 234,50 €` (fr, narrow no-break spaces), `€1,234.50` (en)."""
    return format_currency(Decimal(cents) / 100, CURRENCY, locale=_locale(lang))


def format_number(value: int | float, lang: str | None = "fr") -> str:
    """`19 211` (fr) / `19,211` (en)."""
    return format_decimal(value, locale=_locale(lang))


def format_short(moment: datetime | None, lang: str | None = "fr") -> str:
    """A session's date on cards and lists: `lun. 29 juil. 2024 · 18:00` / `Mon 29 Jul 2024 · 18:00`."""
    if moment is None:
        return ""
    return format_datetime(paris(moment), "EEE d MMM y · HH:mm", locale=_locale(lang))


def format_long(moment: datetime, lang: str | None = "fr") -> str:
    """A date and time in sentences (mails, PDF): `lundi 29 juillet 2024, 18:00` / `Monday, 29 July 2024, 18:00`."""
    local, locale = paris(moment), _locale(lang)
    pattern = get_datetime_format("long", locale=locale).replace("'", "")
    return pattern.replace("{0}", format_time(local, "HH:mm", locale=locale)).replace(
        "{1}", format_date(local, "full", locale=locale))


def format_day(moment: datetime, lang: str | None = "fr") -> str:
    """The date alone: `lundi 29 juillet 2024` / `Monday, 29 July 2024`."""
    return format_date(paris(moment), "full", locale=_locale(lang))


def format_clock(moment: datetime, lang: str | None = "fr") -> str:
    """The Paris time of day, 24-hour: `18:00`."""
    return format_time(paris(moment), "HH:mm", locale=_locale(lang))


def format_stamp(moment: datetime | None, *, seconds: bool = True) -> str:
    """A compact Paris-time stamp, `31/07/2024 18:05:09` (the admin pages' format, same in both languages)."""
    if moment is None:
        return ""
    return paris(moment).strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")
