"""Outgoing e-mail: SMTP when `SMTP_HOST` is set, otherwise `.eml` files in the outbox folder (development, tests).

`send_mail` is the transport; the `send_*` builders below render the project's messages in French (default) or
English from the Jinja2 templates of jo_app/templates/mail/ (`mail_templates`): plain text with an HTML
alternative in which every user-supplied value is escaped. Prices and dates: Babel (`jo_app.i18n.formats`).
"""

from __future__ import annotations

import logging
import os
import smtplib  # noqa: F401  (callers catch mail.smtplib's errors)
import tempfile
from collections.abc import Iterable, Sequence
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from uuid import uuid4

from jo_app.config import get_settings
from jo_app.i18n import normalize_lang
from jo_app.i18n.formats import format_long, format_price, format_short
from jo_app.services import mail_delivery, mail_mime, mail_smtp
from jo_app.services.errors import ValidationError
from jo_app.services.mail_mime import OutgoingMail
from jo_app.services.mail_templates import RenderedMail, render
from jo_app.timeutil import utcnow

log = logging.getLogger(__name__)
__all__ = ["format_long", "format_price", "read_outbox", "send_mail"]

Attachment = tuple[str, str, bytes]  # (filename, MIME type such as "application/pdf", content)


def _check_address(to: str) -> str:
    address = (to or "").strip()
    if "\r" in address or "\n" in address or "@" not in parseaddr(address)[1]:
        raise ValidationError("Invalid e-mail address.", field="email")
    return address


def build_message(
    to: str, subject: str, text: str, *, html_body: str | None = None, attachments: Iterable[Attachment] = ()
) -> OutgoingMail:
    """A UTF-8 message from the configured sender, with a fresh Message-ID (bytes written by `mail_mime`)."""
    settings = get_settings()
    to = _check_address(to)
    sender = parseaddr(settings.mail_from)[1]
    domain = sender.rpartition("@")[2] or "jo-etickets.example"
    message_id = mail_delivery.message_id(domain) or make_msgid(domain=domain)  # stable in a job
    headers = [("From", mail_mime.address_value("From", settings.mail_from)),
               ("To", mail_mime.address_value("To", to)),
               ("Subject", mail_mime.header_value("Subject", subject)),
               ("Date", formatdate(localtime=False, usegmt=True)), ("Message-ID", message_id)]
    data = mail_mime.mime_bytes(headers, text, html_body, attachments)
    return OutgoingMail(message_id, sender, (parseaddr(to)[1],), to, data)


def _write_outbox(message: OutgoingMail) -> Path:
    outbox = get_settings().outbox_dir
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid4().hex[:8]}.eml"
    fd, tmp = tempfile.mkstemp(dir=outbox, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.data)
        os.replace(tmp, path)  # atomic: readers never see a half-written message
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def send_mail(
    to: str, subject: str, text: str, *, html: str | None = None, attachments: Sequence[Attachment] = ()
) -> str:
    """Send a message and return its Message-ID. SMTP errors propagate (`smtplib.SMTPException`, `OSError`)."""
    message = build_message(to, subject, text, html_body=html, attachments=attachments)
    if mail_delivery.already_sent(message.message_id):  # a retried job: accepted by the server before
        log.info("mail already sent, not again: %s", message.message_id)
        return message.message_id
    mail_delivery.sending()
    if get_settings().smtp_host:
        mail_smtp.send(message)  # one connection per thread, reused
        log.info("mail sent over SMTP: %s to %s", message.message_id, message.to)
    else:
        path = _write_outbox(message)
        log.info("mail written to outbox: %s", path)
    mail_delivery.accepted(message.message_id)
    return message.message_id


def read_outbox(limit: int | None = None) -> list[EmailMessage]:
    """Messages in the outbox folder, newest first (development and tests)."""
    outbox = get_settings().outbox_dir
    if not outbox.is_dir():
        return []
    paths = sorted(outbox.glob("*.eml"), reverse=True)[:limit]
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(path.read_bytes()) for path in paths]


# --- Message builders (bodies: jo_app/templates/mail/, texts: the catalogue) --------------------------------------

def _send_rendered(to: str, mail_: RenderedMail, attachments: Sequence[Attachment] = ()) -> str:
    return send_mail(to, mail_.subject, mail_.text, html=mail_.html, attachments=attachments)


def _code_mail(to: str, first_name: str, code: str, lang: str, *, reset: bool) -> str:
    minutes = get_settings().verification_code_ttl_seconds // 60
    return _send_rendered(to, render("code", lang, first_name=first_name, code=code, reset=reset, minutes=minutes))


def send_verification_code(to: str, first_name: str, code: str, lang: str = "fr") -> str:
    """The e-mail verification code sent after registration."""
    return _code_mail(to, first_name, code, lang, reset=False)


def send_password_reset(to: str, first_name: str, code: str, lang: str = "fr") -> str:
    """The password reset code."""
    return _code_mail(to, first_name, code, lang, reset=True)


def send_existing_account_notice(to: str, first_name: str, lang: str = "fr") -> str:
    """Sent instead of a verification code when someone signs up with an address that already has an account: the
    sign-up page answers the same either way (no account enumeration), only the mailbox owner learns the truth."""
    base = get_settings().app_url.rstrip("/")
    return _send_rendered(to, render("existing_account", lang, first_name=first_name, login=f"{base}/connexion",
                                     forgot=f"{base}/mot-de-passe-oublie"))


def _line_label(line: dict[str, Any], lang: str) -> str:
    parts = [str(line["label"])] if line.get("label") else [str(v) for v in (line.get("event"), line.get("offer")) if v]
    if line.get("starts_at"):
        parts.append(format_short(line["starts_at"], lang))
    if line.get("venue"):
        parts.append(str(line["venue"]))
    return " — ".join(parts)


def send_order_confirmation(
    to: str,
    first_name: str,
    reference: str,
    lines: list[dict[str, Any]],
    total_cents: int,
    pdfs: Sequence[tuple[str, bytes]],
    lang: str = "fr",
) -> str:
    """Order confirmation with the e-tickets attached as PDF files.

    Each line is a dict with `quantity` and `unit_price_cents`, and either `label` or `event` and `offer`;
    optional `starts_at` (naive UTC datetime) and `venue`.
    """
    lang = normalize_lang(lang)
    rows = []
    for line in lines:
        quantity, unit = int(line.get("quantity", 1)), int(line.get("unit_price_cents", 0))
        rows.append({"label": _line_label(line, lang), "quantity": quantity,
                     "amount": format_price(quantity * unit, lang)})
    rendered = render("order_confirmation", lang, first_name=first_name, reference=reference, rows=rows,
                      total=format_price(total_cents, lang), tickets=len(pdfs),
                      url=f"{get_settings().app_url.rstrip('/')}/billets")
    return _send_rendered(to, rendered, [(filename, "application/pdf", content) for filename, content in pdfs])


def send_order_cancelled(to: str, first_name: str, reference: str, lang: str = "fr") -> str:
    """Notice that an order was cancelled and its tickets no longer admit anyone."""
    return _send_rendered(to, render("order_cancelled", lang, first_name=first_name, reference=reference))
