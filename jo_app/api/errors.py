"""One JSON error shape for the whole HTTP API: `{"error": {"code": "...", "message": "..."}}`.

- `DomainError` (services) -> its stable `code` and safe `message`, with a status chosen by its class;
- request validation (bad JSON, a body that is not UTF-8, wrong types) -> 422 `invalid_request` (the offending
  fields in `details`);
- HTTP errors (404, 405, ...) -> a code derived from the status; a 405 lists in `Allow` every method the path has;
- anything unexpected -> 500 `internal_error`, logged server-side, never a stack trace in the response.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from jo_app.services.accounts.login import LockedOutError
from jo_app.services.errors import (
    AuthenticationError,
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ValidationError,
)
from jo_app.services.payment import PaymentDeclinedError
from jo_app.services.tickets.tokens import InvalidTokenError

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
    if isinstance(error, LockedOutError | RateLimitedError):
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
    if isinstance(exc, LockedOutError | RateLimitedError):
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


BODY_PARSE_ERROR = "There was an error parsing the body"  # FastAPI's 400 for a body that is not UTF-8 JSON


@lru_cache(maxsize=4)
def _route_table(app: Any) -> tuple[tuple[re.Pattern[str], frozenset[str]], ...]:
    """(path regex, methods) of every route of `app`, included routers flattened (built once per app)."""
    table = []
    for route in iter_route_contexts(getattr(app, "routes", ())):
        if route.path and route.methods:
            table.append((compile_path(route.path)[0], frozenset(route.methods)))
    return tuple(table)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app serves at this path (for `Allow` on 405): Starlette's own 405 lists
    only the methods of the first route matching the path."""
    path = request.scope.get("path", "")
    return sorted({m for pattern, methods in _route_table(request.app) if pattern.match(path) for m in methods})


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == BODY_PARSE_ERROR:  # bad JSON is a validation error everywhere
        return error_json(422, "invalid_request", "Invalid request: the body is not valid JSON.")
    code = STATUS_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else code.replace("_", " ").capitalize()
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        methods = allowed_methods(request)
        if methods:
            headers["Allow"] = ", ".join(methods)
    return error_json(exc.status_code, code, message[:300], headers=headers)


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
