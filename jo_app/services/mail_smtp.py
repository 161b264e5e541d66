"""The SMTP transport of `mail.send_mail`: one connection kept open per thread and reused for the next message.

A job worker sends one message after another; opening a connection for each (TCP connect, greeting, EHLO, optional
STARTTLS and login, QUIT) cost more CPU than sending the message. The connection is dropped after IDLE_SECONDS
without use (servers close idle clients after a minute or more), when the settings change, and on any error. A
message whose send fails on a REUSED connection because that connection was found closed (the server restarted or
timed it out) is sent once more on a fresh one: the server had not accepted it (no `250` was read), and the retry
carries the same Message-ID. Every other error propagates, as before.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
import time

from jo_app.config import get_settings
from jo_app.services.mail_mime import OutgoingMail

SMTP_TIMEOUT_SECONDS = 10
IDLE_SECONDS = 20.0
_STALE = (smtplib.SMTPServerDisconnected, ConnectionError)  # a connection the server closed meanwhile
_held = threading.local()  # .connection = (settings key, client, last use on time.monotonic())


def _key() -> tuple:
    settings = get_settings()
    return (settings.smtp_host, settings.smtp_port, settings.smtp_user, settings.smtp_password,
            settings.smtp_starttls)


def _connect() -> smtplib.SMTP:
    settings = get_settings()
    host, port = settings.smtp_host, settings.smtp_port
    if port == 465:
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        client.ehlo()
        if settings.smtp_starttls and port != 465:
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password or "")
    except BaseException:
        _close(client)
        raise
    return client


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def drop() -> None:
    """Close this thread's connection, if any (tests; a worker shutting down)."""
    held = getattr(_held, "connection", None)
    _held.connection = None
    if held is not None:
        _close(held[1])


def _transmit(client: smtplib.SMTP, message: OutgoingMail) -> None:
    options: list[str] = []
    if message.smtputf8:
        client.ehlo_or_helo_if_needed()
        if not client.has_extn("smtputf8"):
            raise smtplib.SMTPNotSupportedError("One or more source or delivery addresses require internationalized "
                                                "email support, but the server does not advertise SMTPUTF8")
        options = ["SMTPUTF8", "BODY=8BITMIME"]
    client.sendmail(message.sender, list(message.recipients), message.data, options)  # the bytes as built


def send(message: OutgoingMail) -> None:
    """Send `message` over this thread's connection (opened when needed). SMTP errors propagate."""
    key = _key()
    held = getattr(_held, "connection", None)
    if held is not None and (held[0] != key or time.monotonic() - held[2] > IDLE_SECONDS):
        drop()
        held = None
    _held.connection = None  # held again only after a success
    if held is not None:
        try:
            _transmit(held[1], message)
        except _STALE:
            held[1].close()  # found closed: once more below, on a fresh connection
        except BaseException:
            _close(held[1])
            raise
        else:
            _held.connection = (key, held[1], time.monotonic())
            return
    client = _connect()
    try:
        _transmit(client, message)
    except BaseException:
        _close(client)
        raise
    _held.connection = (key, client, time.monotonic())
