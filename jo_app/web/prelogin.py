"""The pre-login cookie (`jo_prelogin`): a random HttpOnly nonce that ties a login hand-off code to the browser
that logged in (`jo_app.services.accounts.session_handoff`).

A browser must hold it BEFORE its websocket connects (Reflex captures the Cookie header once per connection), so it
is set on every HTML response of the app that arrives without one (`security_middleware` calls
`prelogin_header`): the page document, in production served by this same app, comes before its websocket. The
route `/auth/prelogin` sets it too, for the login page to fall back on.
"""

from __future__ import annotations

from starlette.responses import Response

from jo_app.config import get_settings
from jo_app.services.accounts.session_handoff import (
    PRELOGIN_COOKIE,
    PRELOGIN_MAX_AGE,
    new_prelogin_nonce,
    valid_nonce,
)

_NAME = PRELOGIN_COOKIE.encode()


def cookie_secure() -> bool:
    """Whether the app's cookies carry `Secure` (production, or any https deployment)."""
    settings = get_settings()
    return settings.is_production or settings.app_url.startswith("https")


def _attributes(secure: bool) -> str:
    return f"Max-Age={PRELOGIN_MAX_AGE}; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")


def has_prelogin(cookie_header: bytes | None) -> bool:
    """True when a raw Cookie header carries a well-formed pre-login cookie."""
    for part in (cookie_header or b"").split(b";"):
        name, sep, value = part.strip().partition(b"=")
        if sep and name == _NAME:
            return valid_nonce(value.decode("latin-1"))
    return False


def prelogin_header(cookie_header: bytes | None) -> tuple[bytes, bytes] | None:
    """A `Set-Cookie` header giving a fresh pre-login cookie, or None when the request (its raw Cookie header)
    has one already."""
    if has_prelogin(cookie_header):
        return None
    value = f"{PRELOGIN_COOKIE}={new_prelogin_nonce()}; {_attributes(cookie_secure())}"
    return b"set-cookie", value.encode()


def set_prelogin_cookie(response: Response, current: str | None, *, secure: bool) -> None:
    """Set the pre-login cookie on `response`, keeping `current` when it is well-formed (a login in progress in
    another tab stays valid)."""
    value = current if valid_nonce(current) else new_prelogin_nonce()
    response.set_cookie(PRELOGIN_COOKIE, value, max_age=PRELOGIN_MAX_AGE, path="/", httponly=True, samesite="lax",
                        secure=secure)
