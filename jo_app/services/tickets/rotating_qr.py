"""The live QR of the owner's ticket page: the signed ticket payload plus a time-based code (TOTP, RFC 6238).

Text: ``<signed payload JO1:...>.<8 digits>`` (every character QR-alphanumeric). The code is standard TOTP
(HMAC-SHA256, 15-second step, 8 digits) under a per-ticket secret:

    event rotation key  K_e = HMAC-SHA256(SECRET_KEY-derived sub-key, "event:<event id>")
    ticket secret       S_t = HMAC-SHA256(K_e, qr_id bytes)

- The secret never leaves the server: the owner's page fetches the current QR image (`/billets/{id}/live-qr.png`,
  session cookie, owner only) every step; the server computes one HMAC and renders one image per request.
- A gate device checks it offline with the public signing keys (signature) and K_e of its event (fetched while
  online, staff only): S_t from the signed qr_id, then the code for the device clock +- `WINDOW_STEPS` steps.
- A re-keyed ticket (transfer, resale) has a new qr_id, so a new secret: its former live codes die with it.
- A screenshot is refused once its code is older than the window: verdict CODE_EXPIRED.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from datetime import UTC, datetime

from jo_app.services.keys import _server_key

STEP_SECONDS = 15
DIGITS = 8
WINDOW_STEPS = 1  # a code is accepted during its own step and one step either side (at most ~30 s old)
SEPARATOR = "."


def event_rotation_key(event_id: int) -> bytes:
    """K_e: given to the gate devices of that event (staff only); derives every ticket secret of the event."""
    return hmac.new(_server_key("rotating-qr"), f"event:{int(event_id)}".encode(), hashlib.sha256).digest()


def ticket_secret(event_id: int, qr_id: str, *, event_key: bytes | None = None) -> bytes:
    """S_t for the ticket whose current QR id is `qr_id` (16 hex chars)."""
    key = event_key if event_key is not None else event_rotation_key(event_id)
    return hmac.new(key, bytes.fromhex(qr_id), hashlib.sha256).digest()


def secret_base32(secret: bytes) -> str:
    """The secret as RFC 4648 base32 (what `oathtool --totp=sha256 -b` takes)."""
    return base64.b32encode(secret).decode().rstrip("=")


def _unix(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def counter_at(moment: datetime) -> int:
    return int(_unix(moment) // STEP_SECONDS)


def code_for(secret: bytes, counter: int) -> str:
    """RFC 4226 HOTP with HMAC-SHA256 and DIGITS digits (RFC 6238 TOTP when counter = unix time // step)."""
    digest = hmac.new(secret, struct.pack(">Q", counter), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def live_payload(static_payload: str, event_id: int, qr_id: str, now: datetime) -> str:
    """The text of the live QR at `now`."""
    return f"{static_payload}{SEPARATOR}{code_for(ticket_secret(event_id, qr_id), counter_at(now))}"


def split(payload: str) -> tuple[str, str | None]:
    """(signed payload, code or None for a static QR). Anything after the separator that is not DIGITS digits
    is kept as a (wrong) code, so it is refused rather than mistaken for a static QR."""
    text = (payload or "").strip() if isinstance(payload, str) else payload
    if not isinstance(text, str) or SEPARATOR not in text:
        return text, None
    static, _, code = text.rpartition(SEPARATOR)
    return static, code


def code_is_fresh(event_id: int, qr_id: str, code: str, now: datetime, *, event_key: bytes | None = None) -> bool:
    """Whether `code` is the ticket's code for a step within +-WINDOW_STEPS of `now` (constant-time compares)."""
    if len(code) != DIGITS or not code.isdigit():
        return False
    secret = ticket_secret(event_id, qr_id, event_key=event_key)
    current = counter_at(now)
    matches = [hmac.compare_digest(code_for(secret, c), code)
               for c in range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1)]
    return any(matches)
