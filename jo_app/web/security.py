"""ASGI middleware wrapping the whole app (Reflex pages, /_event, FastAPI routes): security headers and a request
body size limit. Websocket scopes pass through untouched.

Headers (added when the response does not set them itself):
- Content-Security-Policy as strict as Reflex allows (its prerendered pages need inline scripts and eval; the
  websocket needs ws:/wss:; the gate's camera decoder needs blob: workers and media);
- Strict-Transport-Security in production only; X-Content-Type-Options, X-Frame-Options, Referrer-Policy;
- Permissions-Policy: camera for this origin only (no third-party frame), no microphone, geolocation or payment.
  Every document gets the same camera policy: the policy belongs to the document, and any page can reach the gate
  (/controle) by a client-side navigation (menu, login redirect) that keeps the document it was loaded as.
Pre-login cookie: an HTML response to a request without one gets it (`jo_app.web.prelogin`: the page document
arrives before its websocket, whose login hand-off code the cookie binds to this browser).
Body limit: a declared Content-Length over `max_request_bytes` gets 413 at once; a chunked body is read up to
the limit before the app sees it (then replayed). Reflex's upload endpoint (`POST /_upload`) has its own, larger
cap, checked with the caller's identity and role before its body is read (`jo_app.api.upload_guard`, installed
here by `install_upload_guard` when the API is assembled: web infrastructure imports no API module).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from jo_app.config import get_settings
from jo_app.web.prelogin import prelogin_header

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self' ws: wss:",
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
])
PERMISSIONS = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=63072000; includeSubDomains"


async def read_body_within(receive: Receive, limit: int) -> Receive | None:
    """Read a request body up to `limit` bytes: None once it exceeds it, else a `receive` that replays what was read
    (then reads on), to hand to the app."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if size > limit:
            return None
        if not message.get("more_body", False):
            break

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay

def _build_headers(*, production: bool) -> tuple[tuple[bytes, bytes], ...]:
    headers = [
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", PERMISSIONS.encode()),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if production:
        headers.append((b"strict-transport-security", HSTS.encode()))
    return tuple(headers)


# Built once: production -> headers.
_HEADERS = {production: _build_headers(production=production) for production in (False, True)}


async def _send_413(send: Send, limit: int, extra: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"error": {"code": "payload_too_large",
                                 "message": f"The request body exceeds {limit} bytes."}}).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"), *extra]})
    await send({"type": "http.response.body", "body": body})


_UPLOAD_GUARD: list = []  # [is_upload_request(scope), guard(scope, receive, send, app)] once installed


def install_upload_guard(is_upload_request: Callable[[Scope], bool],
                         guard: Callable[[Scope, Receive, Send, Any], Awaitable[None]]) -> None:
    """Route Reflex's upload requests (`POST /_upload`) to `guard` instead of the generic body limit."""
    _UPLOAD_GUARD[:] = [is_upload_request, guard]


def security_middleware(app: ASGIApp) -> ASGIApp:
    """Wrap `app` (usable directly in `rx.App(api_transformer=[api, security_middleware])`)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        settings = get_settings()
        extra = _HEADERS[settings.is_production]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in extra if item[0] not in present)
                if any(n.lower() == b"content-type" and v.startswith(b"text/html") for n, v in headers):
                    prelogin = prelogin_header(next((v for n, v in scope.get("headers", []) if n == b"cookie"), None))
                    if prelogin:
                        headers.append(prelogin)
                message["headers"] = headers
            await send(message)

        limit = settings.max_request_bytes
        if _UPLOAD_GUARD and _UPLOAD_GUARD[0](scope):
            await _UPLOAD_GUARD[1](scope, receive, send_with_headers, app)
            return
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = True
            if too_big:
                await _send_413(send, limit, list(extra))
                return
            await app(scope, receive, send_with_headers)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            await app(scope, receive, send_with_headers)
            return
        # Chunked body: read it up to the limit, then hand it to the app.
        replay = await read_body_within(receive, limit)
        if replay is None:
            await _send_413(send, limit, list(extra))
            return
        await app(scope, replay, send_with_headers)

    return middleware
