"""Checks on Reflex's upload endpoint (`POST /_upload`) made BEFORE a byte of the body is read.

Reflex reads the whole multipart body into temporary files, then dispatches the event handler named in the
`Reflex-Event-Handler` header, whose own role check runs last: an anonymous caller could make the server store
hundreds of megabytes, and a handler that does not take files raised a 500. Here, in order, from headers only:
1. the `Reflex-Client-Token` and `Reflex-Event-Handler` headers are present and short (else 400);
2. the handler is one of the upload handlers the app registered with `allow_upload` (else 404: unknown names,
   other event handlers and non-upload handlers never reach Reflex);
3. a declared `Content-Length` is at most `MAX_UPLOAD_BYTES` (else 413);
4. the session cookie belongs to a live session of an active user whose role (read from the database) the handler
   admits, on a same-origin request (else 401 / 403);
then the body is read up to `MAX_UPLOAD_BYTES` (a chunked or lying body is cut off with 413) and replayed to
Reflex. Only the allowed caller's bytes are ever buffered, at most `MAX_UPLOAD_BYTES` per request.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.requests import Request

from jo_app.api.deps import SESSION_COOKIE, Credentials, authenticate, get_db_engine, same_origin
from jo_app.api.errors import ApiError, unauthorized
from jo_app.models import Role
from jo_app.services.catalog import images
from jo_app.web.security import read_body_within

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UPLOAD_PATH = "/_upload"
# One image (services.catalog.images.MAX_BYTES) plus the multipart framing and the handler-args field.
MAX_UPLOAD_BYTES = images.MAX_BYTES + 64 * 1024
MAX_HEADER_CHARS = 512

_allowed: dict[str, frozenset[str]] = {}  # full handler name -> roles admitted


def allow_upload(handler_name: str, roles: Iterable[Role]) -> None:
    """Admit uploads to the event handler `handler_name` (its full dotted name) for users holding one of `roles`."""
    _allowed[handler_name] = frozenset(role.value for role in roles)


def allowed_handlers() -> dict[str, frozenset[str]]:
    return dict(_allowed)


def is_upload_request(scope: Scope) -> bool:
    return scope.get("method") == "POST" and scope.get("path", "").rstrip("/") == UPLOAD_PATH


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


_API: list[Any] = []  # the FastAPI app whose dependency overrides apply (set by `jo_app.api.app` via `install`)


def install(api: Any) -> None:
    """Called once by the API's composition root: resolve the engine like `api`'s routes do."""
    _API[:] = [api]


async def _engine() -> Engine:
    """The API's database engine, honouring the tests' `get_db_engine` override like the API routes do."""
    overrides = _API[0].dependency_overrides if _API else {}
    engine = overrides.get(get_db_engine, get_db_engine)()
    return await engine if inspect.isawaitable(engine) else engine


def _check_caller(engine: Engine, request: Request, roles: frozenset[str]) -> None:
    """ApiError unless the session cookie's user (from the database) holds one of `roles` (blocking)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise unauthorized()
    credentials = Credentials(cookie=cookie[:512], may_change_state=same_origin(request))
    with Session(engine, expire_on_commit=False) as db:
        principal = authenticate(db, credentials)
    if principal.role not in roles:
        raise ApiError(403, "forbidden", "You are not allowed to do this.")


async def guard(scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
    """Run the checks of the module docstring on an upload request, then hand it (body replayed) to `app`."""
    request = Request(scope)
    token = request.headers.get("reflex-client-token", "")
    handler = request.headers.get("reflex-event-handler", "")
    if not token or not handler or len(token) > MAX_HEADER_CHARS or len(handler) > MAX_HEADER_CHARS:
        await _refuse(send, 400, "bad_request", "Missing or invalid upload headers.")
        return
    roles = _allowed.get(handler)
    if roles is None:
        await _refuse(send, 404, "not_found", "Unknown upload handler.")
        return
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_UPLOAD_BYTES):
        await _refuse(send, 413, "payload_too_large", f"The upload exceeds {MAX_UPLOAD_BYTES} bytes.")
        return
    try:
        await asyncio.to_thread(_check_caller, await _engine(), request, roles)
    except ApiError as exc:
        await _refuse(send, exc.status, exc.code, exc.message)
        return
    replay = await read_body_within(receive, MAX_UPLOAD_BYTES)
    if replay is None:
        await _refuse(send, 413, "payload_too_large", f"The upload exceeds {MAX_UPLOAD_BYTES} bytes.")
        return
    await app(scope, replay, send)
