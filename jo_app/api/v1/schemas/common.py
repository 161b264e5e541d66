"""Shared types of the API models: strict inputs, safe text, ISO dates, UTC timestamps, integers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

# A naive-UTC datetime from the services, sent as an aware UTC timestamp.
UtcDatetime = Annotated[datetime, PlainSerializer(
    lambda v: (v if v.tzinfo else v.replace(tzinfo=UTC)).isoformat(), return_type=str, when_used="json")]


def _integral(value: object) -> object:
    """A JSON number with no fractional part (e.g. 3.0) as an int; anything else is left for validation."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Integers of request bodies (strict models: no "3" nor true): JSON Schema's "integer" also admits 3.0.
Int = Annotated[int, BeforeValidator(_integral)]
Id = Annotated[int, BeforeValidator(_integral), Field(ge=1, le=2**31 - 1)]


def _check_text(value: object) -> None:
    """Refuse NUL characters (PostgreSQL cannot store them) and lone surrogates (not encodable) anywhere."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL characters are not allowed")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("invalid Unicode text") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_text(item)


def _safe(value: str) -> str:
    _check_text(value)
    return value


SafeStr = Annotated[str, AfterValidator(_safe)]  # for query, path and header parameters

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?)?")


def _iso(pattern: re.Pattern[str], what: str):
    def check(value: object) -> object:
        if isinstance(value, date):
            return value
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(f"expected an ISO 8601 {what}")
        return value
    return check


# ISO 8601 text only (pydantic alone would also read 0 or "1700000000" as a Unix time); not strict, so that the
# text is parsed even inside strict body models.
IsoDate = Annotated[date, Field(strict=False), BeforeValidator(_iso(_ISO_DATE, "date (YYYY-MM-DD)"))]
IsoDatetime = Annotated[datetime, Field(strict=False), BeforeValidator(_iso(_ISO_DATETIME, "date-time"))]


class Input(BaseModel):
    """Request bodies: unknown fields refused, and strict JSON types (no "5" for 5, no 0 for false)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _safe_text(cls, data: object) -> object:
        _check_text(data)
        return data
