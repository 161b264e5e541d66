"""One JSON error shape for the whole HTTP API: `{"error": {"code": "...", "message": "..."}}`.

- `DomainError` (services) -> its stable `code` and safe `message`, with a status chosen by its class;
- request validation (bad JSON, wrong types) -> 422 `invalid_request` (the offending fields in `details`);
- HTTP errors (404, 405, ...) -> a code derived from the status;
- anything unexpected -> 500 `internal_error`, logged server-side, never a stack trace in the response.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from jo_app.services.accounts_login import LockedOutError
from jo_app.services.errors import (
    AuthenticationError,
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from jo_app.services.payment import PaymentDeclinedError
from jo_app.services.ticket_tokens import InvalidTokenError

log = logging.getLogger(__name__)

STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "invalid_request", 429: "rate_limited", 500: "internal_error",
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None
    details: list[dict[str, Any]] | None = None


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


class ApiError(Exception):
    """An error raised by the API layer itself (authentication, roles, rate limits, idempotency...)."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_json(status: int, code: str, message: str, *, field: str | None = None,
               details: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


def unauthorized(message: str = "Authentication required.", code: str = "unauthorized") -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": 'Bearer realm="jo-etickets"'})


def domain_status(error: DomainError) -> int:
    if isinstance(error, LockedOutError):
        return 429
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, PermissionDeniedError):
        return 403
    if isinstance(error, AuthenticationError):
        return 401
    if isinstance(error, ConflictError):
        return 409
    if isinstance(error, PaymentDeclinedError):
        return 402
    if isinstance(error, ValidationError | InvalidTokenError):
        return 422
    return 400


async def _domain(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {}
    if isinstance(exc, LockedOutError):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    return error_json(domain_status(exc), exc.code, exc.message, field=exc.field, headers=headers)


async def _api(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_json(exc.status, exc.code, exc.message, headers=exc.headers)


def _safe_loc(loc: Any) -> list[str | int]:
    return [part if isinstance(part, int) else str(part)[:100] for part in loc]


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [{"loc": _safe_loc(e.get("loc", ())), "message": str(e.get("msg", ""))[:200],
                "type": str(e.get("type", ""))[:60]} for e in exc.errors()[:20]]
    first = details[0] if details else None
    message = "The request is invalid."
    if first:
        where = ".".join(str(p) for p in first["loc"] if p != "body") or "body"
        message = f"Invalid request: {where}: {first['message']}"
    field = None
    if first and first["loc"] and first["loc"][0] in ("body", "query", "path", "header") and len(first["loc"]) > 1:
        field = str(first["loc"][-1])
    return error_json(422, "invalid_request", message, field=field, details=details)


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = STATUS_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else code.replace("_", " ").capitalize()
    return error_json(exc.status_code, code, message[:300], headers=dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_json(500, "internal_error", "An unexpected error occurred.")


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(ApiError, _api)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


# OpenAPI: the error responses every endpoint may give.
def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {400: "Bad request", 401: "Missing, expired or revoked credentials", 402: "Payment declined",
                    403: "Not allowed (role)", 404: "Not found", 409: "Conflict", 413: "Request body too large",
                    422: "Invalid request", 429: "Rate limited (see Retry-After)"}
    return {s: {"model": ErrorBody, "description": descriptions.get(s, "Error")} for s in statuses}
