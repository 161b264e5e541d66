"""A real SMTP server on loopback (aiosmtpd) that keeps every message, with the app's settings pointed at it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from jo_app.config import get_settings


class SmtpCollector:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook name
        with self.lock:
            self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """Messages addressed to `address` (case-insensitive), oldest first."""
        with self.lock:
            return [m for m in self.messages if str(m["To"]).lower() == address.lower()]


@contextmanager
def smtp_capture(monkeypatch: pytest.MonkeyPatch, outbox: Path) -> Iterator[SmtpCollector]:
    """Start the server on a free port and point SMTP_HOST/SMTP_PORT at it (no auth); `outbox` (OUTBOX_DIR) must
    stay empty: everything goes over SMTP. Settings are re-read on entry and exit."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    collector = SmtpCollector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("OUTBOX_DIR", str(outbox))
    monkeypatch.delenv("SMTP_USER", raising=False)
    get_settings.cache_clear()
    try:
        yield collector
    finally:
        controller.stop()
        monkeypatch.undo()
        get_settings.cache_clear()
