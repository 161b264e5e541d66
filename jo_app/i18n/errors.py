"""The one mapping from a service error (`DomainError.code`, `.reason`, `.field`) to its catalogue message key.

Every message is `err.<code>` in the catalogue. A `ValidationError` carries the generic code `validation_error`
(the REST API's stable code) and, when the UI needs a finer message, a `reason` (e.g. `password_common`); else
the form field picks a default message; else the generic one. No English text is ever parsed.
"""

from __future__ import annotations

from typing import Any

from jo_app.i18n.catalog import DEFAULT_LANG, load

GENERIC = "err.generic"
FIELD_DEFAULTS = {
    "password": "password_rules", "new_password": "password_rules", "email": "email_invalid",
    "first_name": "name_invalid", "last_name": "name_invalid", "consent": "consent_required", "code": "invalid_code",
}


def _known(code: str | None) -> str | None:
    return f"err.{code}" if code and f"err.{code}" in load(DEFAULT_LANG).strings else None


def error_key(error: Any, field: str | None = None) -> str:
    """The message key for `error`: a DomainError (or anything with `code`, `reason`, `field`) or a bare code."""
    if isinstance(error, str) or error is None:
        code, reason = error, None
    else:
        code, reason, field = getattr(error, "code", None), getattr(error, "reason", None), error.field or field
    by_field = FIELD_DEFAULTS.get(field or "")
    for candidate in (reason, by_field if code == "validation_error" else None, code, by_field):
        key = _known(candidate)
        if key:
            return key
    return GENERIC
