"""Domain errors. Each carries a stable `code` (for the API and the UI message catalogue) and a safe message."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the request; `code` is stable (API and UI), `message` is a safe English text for logs and
    API clients. `reason` is an optional finer stable code for the UI's message (`jo_app.i18n.error_key`) where
    the API keeps a generic `code` (e.g. `validation_error` + reason `password_common`)."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.reason = reason


class ValidationError(DomainError):
    code = "validation_error"


class NotFoundError(DomainError):
    code = "not_found"


class PermissionDeniedError(DomainError):
    code = "forbidden"


class AuthenticationError(DomainError):
    code = "authentication_failed"


class ConflictError(DomainError):
    code = "conflict"


class RateLimitedError(DomainError):
    """Too many attempts from this client or on this account: `retry_after_seconds` tells when to come back."""

    code = "rate_limited"

    def __init__(self, retry_after_seconds: int, message: str = "Too many attempts. Try again later.") -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
