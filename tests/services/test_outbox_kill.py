"""kill -9 of the worker process after the order committed, before and during the SMTP delivery: the mail still
arrives exactly once (real PostgreSQL, real worker processes `python -m jo_app.cli worker`, real SMTP server on
loopback that only keeps a message it acknowledged, as an MTA does)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jo_app.models import OutboxJob
from jo_app.services.orders import direct_order
from jo_app.services.payment import PaymentCard
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_user

ROOT = Path(__file__).resolve().parents[2]
CARD = PaymentCard("4242 4242 4242 4242", 12, utcnow().year + 2, "123", "Ada Lovelace")
LEASE = 2.0


class StallingServer:
    """Keeps the messages it acknowledged with 250; can hold a client at RCPT (before the message) or at the end of
    DATA (message received, not yet acknowledged). A client that dies while held leaves nothing behind."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.stall_at: str | None = None
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def _hold(self, step: str) -> None:
        if self.stall_at == step:
            self.stalled.set()
            while not self.release.is_set():  # aiosmtpd cancels this coroutine when the client connection drops
                await asyncio.sleep(0.02)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        await self._hold("rcpt")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        await self._hold("data")
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 Message accepted for delivery"

    def hold(self, step: str | None) -> None:
        self.stall_at = step
        self.stalled.clear()
        self.release.clear()


def _worker(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
           "JOBS_LEASE_SECONDS": str(LEASE), "JOBS_POLL_SECONDS": "0.1", "LOG_LEVEL": "WARNING"}
    env.pop("SMTP_USER", None)
    return subprocess.Popen([sys.executable, "-m", "jo_app.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _job(engine: Engine, job_id: int) -> OutboxJob:
    with Session(engine) as session:
        return session.get(OutboxJob, job_id)


def _kill_when_held(process: subprocess.Popen, server: StallingServer) -> None:
    assert server.stalled.wait(60), process.stderr.read().decode() if process.poll() is not None else "no stall"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    server.release.set()


def test_kill_9_before_and_during_delivery_still_delivers_exactly_once(pg_engine: Engine, postgres_url: str) -> None:
    with Session(pg_engine, expire_on_commit=False) as session:
        user = make_user(session, first_name="Ada", last_name="Lovelace")
        offer = make_offer(session, make_event(session, capacity=10), price_cents=5000)
        session.commit()
        result = direct_order.checkout_items(session, int(user.id), [(int(offer.id), 2)], CARD,
                                             idempotency_key="kill-9")
        job_id = session.exec(OutboxJob.__table__.select()).one().id  # committed with the order
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = StallingServer()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    workers: list[subprocess.Popen] = []
    try:
        server.hold("rcpt")  # 1. killed before the message was sent
        workers.append(_worker(postgres_url, port))
        _kill_when_held(workers[-1], server)
        assert server.messages == [] and _job(pg_engine, job_id).status == "running"

        server.hold("data")  # 2. killed while the server holds the whole message, before it acknowledged it
        workers.append(_worker(postgres_url, port))
        _kill_when_held(workers[-1], server)
        assert server.messages == [] and _job(pg_engine, job_id).status == "running"

        server.hold(None)  # 3. a third worker, once the dead one's lease expired, delivers it
        workers.append(_worker(postgres_url, port))
        deadline = time.monotonic() + 60
        while _job(pg_engine, job_id).status != "done" and time.monotonic() < deadline:
            time.sleep(0.1)
        job = _job(pg_engine, job_id)
        assert (job.status, job.attempts) == ("done", 3), job.last_error
        time.sleep(LEASE + 0.5)  # nothing more arrives, even after another lease period
        to_buyer = [m for m in server.messages if str(m["To"]) == user.email]
        assert len(to_buyer) == 1 and len(server.messages) == 1
        assert result.reference in str(to_buyer[0]["Subject"])
        assert str(to_buyer[0]["Message-ID"]).startswith(f"<job-{job_id}.1@")
        pdfs = [p for p in to_buyer[0].iter_attachments() if p.get_content_type() == "application/pdf"]
        assert len(pdfs) == 2 and all(p.get_content().startswith(b"%PDF") for p in pdfs)
    finally:
        for process in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(15)
        controller.stop()
