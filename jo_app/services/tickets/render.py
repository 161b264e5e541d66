"""Ticket files: QR PNG, printable A4 PDF and iCalendar event in the buyer's language, and their on-disk cache.

No authorization here: callers (pages, API, mailer) must check that the requester owns the ticket (or is staff)
before calling anything in this module. A rendered ticket is a bearer credential: cache files are private
(0600 in 0700 folders) and named by ticket id + a hash of their content (language included), so a re-issued
ticket (new payload) or an edited event gets a new file and the stale one is deleted. Each ticket has a folder of its
own (`tickets/<id>/`): finding its stale files lists that folder (a few entries), never the whole cache (a scan of
100,000 files cost ~70 ms of CPU per ticket rendered).
The document and QR code: `ticket_document`; the PDF drawing: `ticket_pdf`; the calendar file: `ticket_ics`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.i18n import normalize_lang
from jo_app.services.tickets.document import TicketDocument, load_ticket_document, paris_time, qr_png
from jo_app.services.tickets.ics import EVENT_DURATION, ticket_ics
from jo_app.services.tickets.pdf import QR_SIZE, ticket_pdf

__all__ = ["EVENT_DURATION", "QR_SIZE", "TicketDocument", "cached_document_pdf", "cached_ticket_pdf",
           "cached_ticket_png", "load_ticket_document", "paris_time", "qr_png", "ticket_ics", "ticket_pdf"]


def _cache_dir(ticket_id: int) -> tuple[Path, bool]:
    """The ticket's cache folder, and whether it was just created (then it holds nothing to read or to drop)."""
    folder = get_settings().cache_dir / "tickets" / str(int(ticket_id))
    try:
        folder.mkdir(mode=0o700)
        return folder, True
    except FileExistsError:
        return folder, False
    except FileNotFoundError:  # the first ticket: the cache folders themselves
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return _cache_dir(ticket_id)


def _cached(name: str, ticket_id: int, suffix: str, build) -> bytes:
    """Read `name` from the cache, or build it, write it atomically and drop the ticket's older files."""
    folder, new = _cache_dir(ticket_id)
    path = folder / name
    if not new:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
    content: bytes = build()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=suffix)  # created 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for stale in () if new else folder.glob(f"{ticket_id}-*{suffix}"):
        if stale.name != name:
            stale.unlink(missing_ok=True)
    return content


def cached_ticket_pdf(session: Session, ticket_id: int, lang: str = "fr") -> bytes:
    """The ticket PDF in `lang`, from the cache when its content is unchanged. No authorization (callers check)."""
    return cached_document_pdf(load_ticket_document(session, ticket_id), lang)


def cached_document_pdf(data: TicketDocument, lang: str = "fr") -> bytes:
    """`cached_ticket_pdf` of a document already read (the confirmation mail reads its order's in one statement)."""
    lang = normalize_lang(lang)
    suffix = f".{lang}.pdf"  # one file per language: the two never evict each other
    return _cached(f"{data.ticket_id}-{data.fingerprint(lang)}{suffix}", data.ticket_id, suffix,
                   lambda: ticket_pdf(data, lang))


def cached_ticket_png(session: Session, ticket_id: int, *, box_size: int = 10) -> bytes:
    """The ticket's QR PNG, from the cache when its payload is unchanged. No authorization (callers check)."""
    data = load_ticket_document(session, ticket_id)
    digest = hashlib.sha256(data.payload.encode()).hexdigest()[:16]
    suffix = f".b{box_size}.png"
    return _cached(f"{ticket_id}-{digest}{suffix}", ticket_id, suffix,
                   lambda: qr_png(data.payload, box_size=box_size))
