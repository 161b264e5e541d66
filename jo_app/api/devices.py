"""The device cookie over HTTP: set after a successful login (REST token or the web login's /auth/complete) when
the client has no valid one for that account yet. See `services.accounts.device_cookies` and
`services.accounts.login_throttle`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from jo_app.services.accounts import device_cookies


def device_token(request: Request) -> str | None:
    return request.cookies.get(device_cookies.COOKIE_NAME)


def remember(request: Request, response: Response, user_id: int) -> None:
    """Give the client a device cookie for `user_id` unless it already holds a valid one."""
    from jo_app.web.prelogin import cookie_secure

    if device_cookies.device_for(device_token(request), user_id) is not None:
        return
    response.set_cookie(device_cookies.COOKIE_NAME, device_cookies.issue(user_id),
                        max_age=device_cookies.MAX_AGE_SECONDS, path="/", httponly=True, samesite="strict",
                        secure=cookie_secure())
