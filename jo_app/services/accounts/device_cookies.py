"""Device cookies (OWASP "Slow down online guessing attacks with device cookies"): proof that a browser or API
client already logged in to an account, so its own login attempts keep their own failure budget while an
attacker's failures elsewhere slow down only untrusted clients (`services.accounts.login_throttle`).

A device token is `<user id>.<device id>.<issued, unix seconds>.<HMAC-SHA256 tag>`, the tag under a sub-key of
SECRET_KEY dedicated to device cookies. It proves nothing about identity (it never logs anyone in): it is only
valid for the account it was issued to, for `MAX_AGE_SECONDS`. The HTTP layer stores it in the HttpOnly cookie
`jo_device` (SameSite=Strict) after a successful login.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from jo_app.config import get_settings

COOKIE_NAME = "jo_device"
MAX_AGE_SECONDS = 365 * 24 * 3600
MAX_TOKEN_CHARS = 128


@dataclass(frozen=True)
class DeviceToken:
    user_id: int
    device_id: str
    issued: int


def _tag(message: str) -> str:
    key = hmac.new(get_settings().secret_key.encode(), b"jo-etickets/device-cookie", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(hmac.new(key, message.encode(), hashlib.sha256).digest()).decode().rstrip("=")


def issue(user_id: int, now: float | None = None) -> str:
    """A new device token for `user_id`."""
    message = f"{int(user_id)}.{secrets.token_urlsafe(12)}.{int(time.time() if now is None else now)}"
    return f"{message}.{_tag(message)}"


def parse(token: str | None, now: float | None = None) -> DeviceToken | None:
    """The token's content if its tag is genuine and it is not too old, else None (never raises)."""
    if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 3:
        return None
    user, device_id, issued, tag = token.split(".")
    if not (user.isascii() and user.isdigit() and issued.isascii() and issued.isdigit()) or len(user) > 19:
        return None
    if not hmac.compare_digest(tag.encode(), _tag(f"{user}.{device_id}.{issued}").encode()):
        return None
    age = (time.time() if now is None else now) - int(issued)
    if not -300 <= age <= MAX_AGE_SECONDS:
        return None
    return DeviceToken(int(user), device_id, int(issued))


def device_for(token: str | None, user_id: int) -> str | None:
    """The device id of `token` if it is a valid device token of `user_id`, else None."""
    parsed = parse(token)
    return parsed.device_id if parsed is not None and parsed.user_id == user_id else None


def rate_limit_identity(token: str | None, email: str) -> str:
    """The identity a login attempt is rate limited under: the device when a genuine device token comes with it
    (so an attacker hammering an e-mail address does not rate-limit the owner's known device), else the e-mail."""
    parsed = parse(token)
    return f"device:{parsed.device_id}" if parsed is not None else email.strip().lower()
