"""ASGI middleware: a request id per HTTP request (`X-Request-ID`), bound to the logs, plus one access log line.

The incoming `X-Request-ID` (set by nginx from its `$request_id`) is kept when it looks sane (1-64 characters of
`[A-Za-z0-9._-]`), otherwise a new one is generated. It is echoed in the response header and available to every
log record through `jo_app.logging_setup.request_id_var`. Websocket connections (`/_event`) get an id too, for the
log lines written while the connection is open, an access line when it opens and closes (with the worker's pid),
but none per socket.io message.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time

from jo_app.logging_setup import request_id_var

HEADER = b"x-request-id"
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("jo_app.access")


_ids = {"pid": 0, "prefix": "", "next": itertools.count()}


def new_request_id() -> str:
    """32 hex digits (like nginx's `$request_id`): a random 64-bit prefix drawn once per process, then a counter.
    Unique, not secret (a correlation id), and free of syscalls: `os.urandom` releases the GIL, and on a busy event
    loop getting it back can take longer than serving the request."""
    if _ids["pid"] != os.getpid():  # first use in this (possibly forked) process
        _ids.update(pid=os.getpid(), prefix=os.urandom(8).hex(), next=itertools.count())
    return f"{_ids['prefix']}{next(_ids['next']):016x}"


def incoming_request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == HEADER:
            text = value.decode("latin-1")
            if _VALID.match(text):
                return text
            break
    return new_request_id()


class RequestIdMiddleware:
    """Pure ASGI middleware (no body buffering, websockets pass through untouched)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope.get("headers") or [])
        token = request_id_var.set(request_id)
        if scope["type"] == "websocket":
            started = time.perf_counter()
            path = scope.get("path")
            access_log.info("websocket open %s", path, extra={"path": path, "event": "ws_open"})
            try:
                await self.app(scope, receive, send)
            finally:
                access_log.info("websocket closed %s", path,
                                extra={"path": path, "event": "ws_close",
                                       "duration_ms": round((time.perf_counter() - started) * 1000, 2)})
                request_id_var.reset(token)
            return

        started = time.perf_counter()
        status = 500

        async def send_with_id(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                headers.append((HEADER, request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "%s %s %s", scope.get("method"), scope.get("path"), status,
                extra={"method": scope.get("method"), "path": scope.get("path"), "status": status,
                       "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                       "client": (scope.get("client") or ("", 0))[0]},
            )
            request_id_var.reset(token)
