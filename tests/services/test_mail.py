"""Mail transport against a real SMTP server on loopback (aiosmtpd), and the outbox fallback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from jo_app.config import get_settings
from jo_app.services import mail
from jo_app.services.errors import ValidationError

PDF_BYTES = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"  # binary content must survive base64


class Collector:
    """aiosmtpd handler keeping every envelope it receives."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook name
        self.envelopes.append(envelope)
        self.received.set()
        return "250 Message accepted for delivery"

    def wait_message(self) -> EmailMessage:
        assert self.received.wait(5), "the SMTP server received nothing"
        return BytesParser(policy=policy.default).parsebytes(self.envelopes[-1].content)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """Environment changes for one test; the settings cache is reset before and after."""
    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.delenv("SMTP_USER", raising=False)
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def start_server(settings_env: pytest.MonkeyPatch, **smtp_kwargs) -> tuple[Controller, Collector]:
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port, **smtp_kwargs)
    controller.start()
    settings_env.setenv("SMTP_HOST", "127.0.0.1")
    settings_env.setenv("SMTP_PORT", str(port))
    get_settings.cache_clear()
    return controller, collector


@pytest.fixture
def smtp_server(settings_env: pytest.MonkeyPatch) -> Iterator[Collector]:
    controller, collector = start_server(settings_env)
    yield collector
    controller.stop()


def test_smtp_delivers_utf8_message_with_intact_pdf(smtp_server: Collector) -> None:
    message_id = mail.send_mail(
        "Élodie.Martin@example.org", "Billets — épreuve de judo", "Voici vos billets, Élodie.",
        html="<p>Voici vos billets</p>", attachments=[("billet-JO-1.pdf", "application/pdf", PDF_BYTES)],
    )
    received = smtp_server.wait_message()
    envelope = smtp_server.envelopes[-1]
    assert envelope.rcpt_tos == ["Élodie.Martin@example.org"]
    assert envelope.mail_from == "billets@jo-etickets.example"
    assert received["Message-ID"] == message_id
    assert received["Subject"] == "Billets — épreuve de judo"
    assert received["From"] == get_settings().mail_from
    assert received.get_body(("plain",)).get_content().strip() == "Voici vos billets, Élodie."
    assert received.get_body(("html",)).get_content().strip() == "<p>Voici vos billets</p>"
    attachments = list(received.iter_attachments())
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [("billet-JO-1.pdf", "application/pdf")]
    assert attachments[0].get_content() == PDF_BYTES
    assert not list(get_settings().outbox_dir.glob("*.eml")), "SMTP mode must not write to the outbox"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_authenticates_with_configured_credentials(settings_env: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret!", handled=False)

    controller, collector = start_server(settings_env, authenticator=authenticator, auth_require_tls=False,
                                         auth_required=True)
    try:
        settings_env.setenv("SMTP_USER", "mailer")
        settings_env.setenv("SMTP_PASSWORD", "wrong")
        get_settings.cache_clear()
        with pytest.raises(mail.smtplib.SMTPAuthenticationError):
            mail.send_mail("a@example.org", "x", "x")
        settings_env.setenv("SMTP_PASSWORD", "s3cret!")
        get_settings.cache_clear()
        mail.send_mail("a@example.org", "Subject", "Body")
        assert collector.wait_message()["Subject"] == "Subject"
        assert seen[-1] == (b"mailer", b"s3cret!")
        assert set(seen[:-1]) == {(b"mailer", b"wrong")}  # smtplib retries the wrong password with each mechanism
    finally:
        controller.stop()


def test_unreachable_smtp_server_raises(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("SMTP_HOST", "127.0.0.1")
    settings_env.setenv("SMTP_PORT", str(free_port()))  # nothing listens there
    get_settings.cache_clear()
    with pytest.raises(OSError):
        mail.send_mail("a@example.org", "x", "x")


def test_outbox_mode_writes_parseable_eml(settings_env: pytest.MonkeyPatch) -> None:
    message_id = mail.send_mail("visiteur@example.org", "Sujet accentué", "Corps",
                                attachments=[("b.pdf", "application/pdf", PDF_BYTES)])
    outbox = get_settings().outbox_dir
    files = list(outbox.iterdir())
    assert len(files) == 1 and files[0].suffix == ".eml", "one complete file, no temporary leftovers"
    parsed = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert parsed["Message-ID"] == message_id
    assert parsed["To"] == "visiteur@example.org"
    assert parsed["Subject"] == "Sujet accentué"
    assert next(parsed.iter_attachments()).get_content() == PDF_BYTES


def test_read_outbox_newest_first_and_limit(settings_env: pytest.MonkeyPatch) -> None:
    assert mail.read_outbox() == []
    for n in range(3):
        mail.send_mail("a@example.org", f"n{n}", "x")
        time.sleep(0.002)
    assert [m["Subject"] for m in mail.read_outbox()] == ["n2", "n1", "n0"]
    assert [m["Subject"] for m in mail.read_outbox(limit=1)] == ["n2"]


@pytest.mark.parametrize("to", ["no-at-sign", "a@example.org\r\nBcc: victim@example.org", ""])
def test_bad_recipient_refused(settings_env: pytest.MonkeyPatch, to: str) -> None:
    with pytest.raises(ValidationError):
        mail.send_mail(to, "x", "x")
    assert mail.read_outbox() == []


def test_header_injection_in_subject_refused(settings_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError):
        mail.send_mail("a@example.org", "Hello\r\nBcc: victim@example.org", "x")
    assert mail.read_outbox() == []


def test_verification_and_reset_codes(settings_env: pytest.MonkeyPatch) -> None:
    mail.send_verification_code("a@example.org", "Zoé", "482913")
    mail.send_password_reset("a@example.org", "Zoé", "771204", lang="en")
    reset, verify = mail.read_outbox()
    assert "vérification" in verify["Subject"]
    text = verify.get_body(("plain",)).get_content()
    assert "Bonjour Zoé," in text and "482913" in text and "30 minutes" in text
    assert "Reset your password" in reset["Subject"]
    assert "771204" in reset.get_body(("plain",)).get_content()
    assert "<strong" in reset.get_body(("html",)).get_content()


def test_order_confirmation_lists_lines_and_attaches_pdfs(settings_env: pytest.MonkeyPatch) -> None:
    lines = [
        {"event": "Athlétisme — Finale 100 m hommes", "offer": "Duo", "quantity": 2, "unit_price_cents": 45600,
         "starts_at": datetime(2030, 8, 4, 19, 50), "venue": "Stade de France"},
        {"label": "Judo <script>alert(1)</script>", "quantity": 1, "unit_price_cents": 5000},
    ]
    pdfs = [("billet-1.pdf", PDF_BYTES), ("billet-2.pdf", PDF_BYTES[::-1])]
    mail.send_order_confirmation("a@example.org", "Léa <b>", "JO-7K2M9Q", lines, 96200, pdfs)
    (message,) = mail.read_outbox()
    assert message["Subject"] == "JO E-Tickets — Commande JO-7K2M9Q confirmée"
    text = message.get_body(("plain",)).get_content()
    assert "Athlétisme — Finale 100 m hommes — Duo — dim. 4 août 2030 · 21:50 — Stade de France" in text  # Paris
    assert "912,00\u00a0€" in text and "Total : 962,00\u00a0€" in text
    body = message.get_body(("html",)).get_content()
    assert "<script>" not in body and "&lt;script&gt;" in body and "Léa &lt;b&gt;" in body
    attached = {a.get_filename(): a.get_content() for a in message.iter_attachments()}
    assert attached == dict(pdfs)


def test_order_confirmation_in_english(settings_env: pytest.MonkeyPatch) -> None:
    mail.send_order_confirmation("a@example.org", "Sam", "JO-AAAA", [{"label": "Fencing", "quantity": 1,
                                 "unit_price_cents": 123456}], 123456, [], lang="en")
    (message,) = mail.read_outbox()
    assert message["Subject"] == "JO E-Tickets — Order JO-AAAA confirmed"
    assert "Total: €1,234.56" in message.get_body(("plain",)).get_content()


def test_order_cancelled(settings_env: pytest.MonkeyPatch) -> None:
    mail.send_order_cancelled("a@example.org", "Zoé", "JO-7K2M9Q")
    mail.send_order_cancelled("a@example.org", "Sam", "JO-AAAA", lang="en")
    english, french = mail.read_outbox()
    assert french["Subject"] == "JO E-Tickets — Commande JO-7K2M9Q annulée"
    assert "ne sont plus valables" in french.get_body(("plain",)).get_content()
    assert english["Subject"] == "JO E-Tickets — Order JO-AAAA cancelled"


def test_format_price() -> None:
    assert mail.format_price(123456) == "1\u202f234,56\u00a0€"
    assert mail.format_price(5, lang="en") == "€0.05"
