"""Domain errors. Each carries a stable `code` (for the API and the UI message catalogue) and a safe message."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the request; `code` is stable, `message` is safe to show to the user (English)."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field


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
