"""The purpose sub-keys of SECRET_KEY (`services.keys._server_key`) are derived once per (secret, purpose): the same
bytes as an HMAC computed afresh, and a different SECRET_KEY gives different keys at once."""

from __future__ import annotations

import hashlib
import hmac
from types import SimpleNamespace

from jo_app.config import get_settings
from jo_app.services import keys


def test_sub_keys_are_the_hmac_of_the_current_secret(monkeypatch) -> None:
    secret = get_settings().secret_key
    expected = hmac.new(secret.encode(), b"jo-etickets/ticket-key", hashlib.sha256).digest()
    assert keys._server_key("ticket-key") == expected == keys._server_key("ticket-key")
    before = keys.derive_ticket_key("u", "p", "JO24-AAAA-BBBB:1")
    monkeypatch.setattr(keys, "get_settings", lambda: SimpleNamespace(secret_key=secret + "-rotated"))
    assert keys._server_key("ticket-key") != expected
    assert keys.derive_ticket_key("u", "p", "JO24-AAAA-BBBB:1") != before
