"""A real SMTP server on loopback (aiosmtpd) that keeps every message, with the app's settings pointed at it.

Mails are durable jobs: given the test's engine, reading the mailbox (`to`) first runs the job worker on it, as the
app's in-process worker does right after each commit (the tests' settings turn that thread off)."""

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
from sqlalchemy.engine import Engine

from jo_app.config import get_settings
from jo_app.services import job_worker


class SmtpCollector:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.engine = engine

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook name
        with self.lock:
            self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """Messages addressed to `address` (case-insensitive), oldest first, after the pending jobs ran."""
        self.deliver()
        with self.lock:
            return [m for m in self.messages if str(m["To"]).lower() == address.lower()]


    def deliver(self) -> int:
        """Run the job worker on the test's database until no job is runnable; returns how many ran."""
        return job_worker.run_pending(self.engine) if self.engine is not None else 0


@contextmanager
def smtp_capture(monkeypatch: pytest.MonkeyPatch, outbox: Path,
                 engine: Engine | None = None) -> Iterator[SmtpCollector]:
    """Start the server on a free port and point SMTP_HOST/SMTP_PORT at it (no auth); `outbox` (OUTBOX_DIR) must
    stay empty: everything goes over SMTP. Settings are re-read on entry and exit. With `engine`, reading the
    mailbox delivers that database's pending mail jobs first."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    collector = SmtpCollector(engine)
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
