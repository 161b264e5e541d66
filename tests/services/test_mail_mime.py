"""The message bytes written by `mail_mime` parse, with `email`, into what the `email` package itself built before:
the same tree of parts, the same decoded bodies and attachments, the same header values."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from jo_app.services import mail, mail_mime
from tests.services.test_mail import PDF_BYTES, settings_env  # noqa: F401  (fixture)

LONG_LINE = "Votre billet pour l'épreuve « Athlétisme — Finale du 100 m hommes » au Stade de France " * 3
TEXT = f"Bonjour Zoë,\n\nMerci pour votre commande.\n{LONG_LINE}\n\tindentée\nFin.\n"
HTML = f"<p>Bonjour Zoë,</p>\n<p>{LONG_LINE}</p>\n<p>=3D == =_jo_ .</p>\n"


def _reference(to: str, subject: str, text: str, html: str | None, files: list[tuple[str, str, bytes]]):
    """The message as `EmailMessage` built it (set_content, add_alternative, add_attachment)."""
    message = EmailMessage(policy=policy.SMTP)
    message["To"], message["Subject"] = to, subject
    message.set_content(text, charset="utf-8")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8")
    for filename, mime_type, content in files:
        maintype, _, subtype = mime_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return BytesParser(policy=policy.default).parsebytes(message.as_bytes())


def _tree(message) -> list:
    """Each part in order: content type, filename, decoded content (text or bytes)."""
    return [(part.get_content_type(), part.get_filename(),
             None if part.is_multipart() else part.get_content()) for part in message.walk()]


@pytest.mark.parametrize("html", [HTML, None])
@pytest.mark.parametrize("count", [0, 1, 3])
def test_same_parts_as_the_email_package(settings_env, html: str | None, count: int) -> None:  # noqa: F811
    files = [(f"billet-JO-{n}.pdf", "application/pdf", PDF_BYTES + bytes([n])) for n in range(count)]
    subject = "Confirmation de votre commande JO-ABC123 — 3 billets, épreuves du 9 décembre à Saint-Denis"
    built = mail.build_message("zoe@example.org", subject, TEXT, html_body=html, attachments=files)
    parsed = BytesParser(policy=policy.default).parsebytes(built.data)
    assert parsed.defects == [] and all(not part.defects for part in parsed.walk())
    assert _tree(parsed) == _tree(_reference("zoe@example.org", subject, TEXT, html, files))
    assert parsed["Subject"] == subject and parsed["To"] == "zoe@example.org"
    assert parsed["Message-ID"] == built.message_id and parsed["Date"] and parsed["MIME-Version"] == "1.0"
    assert parsed["From"] == mail.get_settings().mail_from
    assert built.sender == "billets@jo-etickets.example" and built.recipients == ("zoe@example.org",)
    assert max(len(line) for line in built.data.split(b"\r\n")) <= 998 and b"\n" not in built.data.replace(b"\r\n", b"")
    assert not built.smtputf8
    head = built.data.partition(b"\r\n\r\n")[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 78  # headers folded as the SMTP policy folds them


def test_short_lines_stay_readable_and_long_ones_quoted_printable() -> None:
    short = mail_mime.mime_bytes([("Subject", "x")], "Bonjour Zoë,\nà bientôt\n")
    assert b"Content-Transfer-Encoding: 8bit" in short and "Bonjour Zoë,\r\nà bientôt\r\n".encode() in short
    assert b"Content-Transfer-Encoding: 7bit" in mail_mime.mime_bytes([("Subject", "x")], "Hello\n")
    long = mail_mime.mime_bytes([("Subject", "x")], LONG_LINE)
    assert b"Content-Transfer-Encoding: quoted-printable" in long
    decoded = BytesParser(policy=policy.default).parsebytes(long).get_content()
    assert decoded.replace("\r\n", "\n") == LONG_LINE + "\n"  # CRLF on the wire, as the email package wrote


def test_non_ascii_names_and_addresses(settings_env) -> None:  # noqa: F811
    settings_env.setenv("MAIL_FROM", "Billetterie JO — Paris <billets@jo-etickets.example>")
    mail.get_settings.cache_clear()
    built = mail.build_message("Élodie <élodie@example.org>", "Été", "x", attachments=[("reçu é.pdf", "application/pdf",
                                                                                       b"%PDF")])
    parsed = BytesParser(policy=policy.default).parsebytes(built.data)
    assert parsed["From"] == "Billetterie JO — Paris <billets@jo-etickets.example>"
    assert parsed["To"] == "Élodie <élodie@example.org>" and parsed["Subject"] == "Été"
    assert [a.get_filename() for a in parsed.iter_attachments()] == ["reçu é.pdf"]
    assert built.smtputf8 and built.recipients == ("élodie@example.org",)


def test_header_injection_refused() -> None:
    with pytest.raises(ValueError):
        mail_mime.header_value("Subject", "Hello\nBcc: victim@example.org")
