"""Outgoing e-mail: SMTP when `SMTP_HOST` is set, otherwise `.eml` files in the outbox folder (development, tests).

`send_mail` is the transport; the `send_*` builders below write the project's messages in French (default) or
English. Messages are plain text with an HTML alternative; every user-supplied value is escaped in the HTML part.
"""

from __future__ import annotations

import html
import logging
import os
import smtplib
import ssl
import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from jo_app.config import get_settings
from jo_app.services.errors import ValidationError
from jo_app.timeutil import utcnow

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 10
PARIS = ZoneInfo("Europe/Paris")
Attachment = tuple[str, str, bytes]  # (filename, MIME type such as "application/pdf", content)


def _check_address(to: str) -> str:
    address = (to or "").strip()
    if "\r" in address or "\n" in address or "@" not in parseaddr(address)[1]:
        raise ValidationError("Invalid e-mail address.", field="email")
    return address


def build_message(
    to: str, subject: str, text: str, *, html_body: str | None = None, attachments: Iterable[Attachment] = ()
) -> EmailMessage:
    """A UTF-8 message from the configured sender, with a fresh Message-ID."""
    settings = get_settings()
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = settings.mail_from
    message["To"] = _check_address(to)
    message["Subject"] = subject  # the email package refuses CR/LF in header values
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "jo-etickets.example"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text, charset="utf-8")
    if html_body is not None:
        message.add_alternative(html_body, subtype="html", charset="utf-8")
    for filename, mime_type, content in attachments:
        maintype, _, subtype = mime_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return message


def _send_smtp(message: EmailMessage) -> None:
    settings = get_settings()
    host, port = settings.smtp_host, settings.smtp_port
    if port == 465:
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
    with client:
        client.ehlo()
        if settings.smtp_starttls and port != 465:
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password or "")
        client.send_message(message)


def _write_outbox(message: EmailMessage) -> Path:
    outbox = get_settings().outbox_dir
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid4().hex[:8]}.eml"
    fd, tmp = tempfile.mkstemp(dir=outbox, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.as_bytes())
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
    if get_settings().smtp_host:
        _send_smtp(message)
        log.info("mail sent over SMTP: %s to %s", message["Message-ID"], message["To"])
    else:
        path = _write_outbox(message)
        log.info("mail written to outbox: %s", path)
    return str(message["Message-ID"])


def read_outbox(limit: int | None = None) -> list[EmailMessage]:
    """Messages in the outbox folder, newest first (development and tests)."""
    outbox = get_settings().outbox_dir
    if not outbox.is_dir():
        return []
    paths = sorted(outbox.glob("*.eml"), reverse=True)[:limit]
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(path.read_bytes()) for path in paths]


# --- Message builders --------------------------------------------------------------------------------------------

def format_price(cents: int, lang: str = "fr") -> str:
    """`1 234,50 €` in French, `€1,234.50` in English."""
    euros, rest = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    if lang == "en":
        return f"{sign}€{euros:,}.{rest:02d}"
    return f"{sign}{euros:,}".replace(",", "\u202f") + f",{rest:02d}\u00a0€"


def format_local_time(moment: datetime, lang: str = "fr") -> str:
    """A naive UTC datetime shown in Paris time."""
    local = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS)
    return f"{local:%d/%m/%Y %H:%M}" if lang == "fr" else f"{local:%Y-%m-%d %H:%M} (Paris)"


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "fr"


def _greeting(first_name: str, lang: str) -> str:
    word = "Hello" if lang == "en" else "Bonjour"
    name = " ".join((first_name or "").split())
    return f"{word} {name}," if name else f"{word},"


def _html(paragraphs: Iterable[str], *, extra: str = "") -> str:
    """Wrap already-escaped paragraphs in a minimal HTML document."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        '<!doctype html><html><body style="font-family:Arial,sans-serif;color:#1b1b2f">'
        f"{body}{extra}<p style=\"color:#666;font-size:12px\">JO E-Tickets</p></body></html>"
    )


def _code_mail(to: str, first_name: str, code: str, lang: str, *, reset: bool) -> str:
    lang = _lang(lang)
    minutes = get_settings().verification_code_ttl_seconds // 60
    if lang == "en":
        subject = "Reset your password" if reset else "Your verification code"
        purpose = "to reset your password" if reset else "to verify your e-mail address"
        lines = [_greeting(first_name, lang), f"Here is your code {purpose}: {code}",
                 f"It expires in {minutes} minutes. If you did not ask for it, ignore this message."]
    else:
        subject = "Réinitialisation de votre mot de passe" if reset else "Votre code de vérification"
        purpose = "pour réinitialiser votre mot de passe" if reset else "pour vérifier votre adresse e-mail"
        lines = [_greeting(first_name, lang), f"Voici votre code {purpose} : {code}",
                 f"Il expire dans {minutes} minutes. Si vous n'êtes pas à l'origine de cette demande, "
                 "ignorez ce message."]
    escaped = [html.escape(line) for line in lines]
    escaped[1] = escaped[1].replace(html.escape(code), f"<strong style=\"font-size:20px\">{html.escape(code)}</strong>")
    subject = f"JO E-Tickets — {subject}"
    return send_mail(to, subject, "\n\n".join(lines) + "\n", html=_html(escaped))


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
    login, forgot = f"{base}/connexion", f"{base}/mot-de-passe-oublie"
    if _lang(lang) == "en":
        subject = "JO E-Tickets — Sign-up attempt with your e-mail address"
        lines = [_greeting(first_name, "en"),
                 "Someone (perhaps you) tried to create a JO E-Tickets account with your e-mail address, which "
                 "already has an account. No new account was created and your account was not changed.",
                 f"If it was you, log in: {login} — forgot your password? Reset it: {forgot}",
                 "If it was not you, you can ignore this message: nobody can access your account without your "
                 "password."]
    else:
        subject = "JO E-Tickets — Tentative d'inscription avec votre adresse e-mail"
        lines = [_greeting(first_name, "fr"),
                 "Quelqu'un (peut-être vous) a tenté de créer un compte JO E-Tickets avec votre adresse e-mail, "
                 "qui a déjà un compte. Aucun nouveau compte n'a été créé et votre compte n'a pas été modifié.",
                 f"Si c'était vous, connectez-vous : {login} — mot de passe oublié ? Réinitialisez-le : {forgot}",
                 "Si ce n'était pas vous, ignorez ce message : personne ne peut accéder à votre compte sans votre "
                 "mot de passe."]
    return send_mail(to, subject, "\n\n".join(lines) + "\n", html=_html(html.escape(line) for line in lines))


def _line_label(line: dict[str, Any], lang: str) -> str:
    parts = [str(line["label"])] if line.get("label") else [str(v) for v in (line.get("event"), line.get("offer")) if v]
    if line.get("starts_at"):
        parts.append(format_local_time(line["starts_at"], lang))
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
    lang = _lang(lang)
    rows = []
    for line in lines:
        quantity, unit = int(line.get("quantity", 1)), int(line.get("unit_price_cents", 0))
        rows.append((_line_label(line, lang), quantity, format_price(quantity * unit, lang)))
    total = format_price(total_cents, lang)
    url = f"{get_settings().app_url.rstrip('/')}/billets"
    if lang == "en":
        subject = f"JO E-Tickets — Order {reference} confirmed"
        intro = [_greeting(first_name, lang), f"Thank you for your order {reference}. Your payment has been accepted."]
        outro = [f"Total: {total}", f"Your {len(pdfs)} e-ticket(s) are attached as PDF files and remain available "
                 f"in your account: {url}", "Each ticket is valid once, for the persons of its pack."]
    else:
        subject = f"JO E-Tickets — Commande {reference} confirmée"
        intro = [_greeting(first_name, lang), f"Merci pour votre commande {reference}. Votre paiement a été accepté."]
        outro = [f"Total : {total}", f"Vos {len(pdfs)} billet(s) électronique(s) sont joints en PDF et restent "
                 f"disponibles dans votre espace : {url}", "Chaque billet est valable une seule fois, pour les "
                 "personnes de son offre."]
    text_rows = [f"- {quantity} x {label} : {amount}" for label, quantity, amount in rows]
    text = "\n\n".join(intro) + "\n\n" + "\n".join(text_rows) + "\n\n" + "\n\n".join(outro) + "\n"
    table = "".join(
        f"<tr><td>{html.escape(label)}</td><td style=\"text-align:center\">{quantity}</td>"
        f"<td style=\"text-align:right\">{html.escape(amount)}</td></tr>" for label, quantity, amount in rows
    )
    extra = (f'<table cellpadding="6" style="border-collapse:collapse">{table}</table>'
             + "".join(f"<p>{html.escape(p)}</p>" for p in outro))
    attachments = [(filename, "application/pdf", content) for filename, content in pdfs]
    return send_mail(to, subject, text, html=_html([html.escape(p) for p in intro], extra=extra),
                     attachments=attachments)


def send_order_cancelled(to: str, first_name: str, reference: str, lang: str = "fr") -> str:
    """Notice that an order was cancelled and its tickets no longer admit anyone."""
    if _lang(lang) == "en":
        subject = f"JO E-Tickets — Order {reference} cancelled"
        lines = [_greeting(first_name, "en"), f"Your order {reference} has been cancelled. Its e-tickets are no longer "
                 "valid and will be refused at the gates.", "If you did not request this, please contact us."]
    else:
        subject = f"JO E-Tickets — Commande {reference} annulée"
        lines = [_greeting(first_name, "fr"), f"Votre commande {reference} a été annulée. Ses billets électroniques "
                 "ne sont plus valables et seront refusés aux contrôles.",
                 "Si vous n'êtes pas à l'origine de cette annulation, contactez-nous."]
    return send_mail(to, subject, "\n\n".join(lines) + "\n", html=_html(html.escape(line) for line in lines))
