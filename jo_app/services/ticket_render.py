"""Ticket rendering: QR PNG, printable A4 PDF, iCalendar event, and an on-disk cache of the PNG/PDF files.

No authorization here: callers (pages, API, mailer) must check that the requester owns the ticket (or is staff)
before calling anything in this module. A rendered ticket is a bearer credential: cache files are private
(0600 in a 0700 folder) and named by ticket id + a hash of their content, so a re-issued ticket (new payload)
or an edited event gets a new file and the stale one is deleted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import qrcode
from qrcode.constants import ERROR_CORRECT_Q
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.models import Event, Offer, Order, Ticket, TicketStatus
from jo_app.services.errors import NotFoundError
from jo_app.services.ticket_tokens import ensure_payload
from jo_app.timeutil import utcnow

PARIS = ZoneInfo("Europe/Paris")
RENDER_VERSION = "1"  # bump when the layout changes, so cached files are rebuilt
EVENT_DURATION = timedelta(hours=3)
QR_SIZE = 7.5 * cm  # symbol including its quiet zone; the printed code stays >= 6 cm
PACK_LABELS = {"solo": "Solo", "duo": "Duo", "family": "Famille"}
_NAVY, _BLUE, _RED, _GOLD, _INK = (HexColor(c) for c in ("#0B1F4B", "#1F4FBF", "#E1000F", "#C9A227", "#111111"))
_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True)
class TicketDocument:
    """Everything printed on a ticket (times are naive UTC)."""

    ticket_id: int
    ticket_number: str
    event_title: str
    sport: str
    venue: str
    city: str
    starts_at: datetime
    offer_type: str
    offer_title: str
    persons: int
    holder_name: str
    order_reference: str
    status: str
    payload: str

    @property
    def pack_label(self) -> str:
        return PACK_LABELS.get(self.offer_type, self.offer_type.capitalize())

    @property
    def local_start(self) -> datetime:
        return paris_time(self.starts_at)

    def fingerprint(self) -> str:
        """16 hex chars identifying this exact content (cache file names)."""
        fields = {k: str(v) for k, v in dataclasses.asdict(self).items()}
        blob = json.dumps({"v": RENDER_VERSION, **fields}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def paris_time(moment: datetime) -> datetime:
    """A naive UTC datetime as an aware Europe/Paris one."""
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS)


def _qr(payload: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=10, border=4)
    code.add_data(payload)  # all characters are QR-alphanumeric: the library picks the dense mode
    code.make(fit=True)
    return code


def qr_png(payload: str, *, box_size: int = 10) -> bytes:
    """The QR code as a black-on-white PNG (error correction Q, 4-module quiet zone)."""
    code = _qr(payload)
    code.box_size = box_size
    image = code.make_image(fill_color="black", back_color="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# ---------------------------------------------------------------- PDF

def _fonts() -> tuple[str, str]:
    """(regular, bold) font names: DejaVu (full Unicode names) when installed, else Helvetica."""
    if "JoSans" in pdfmetrics.getRegisteredFontNames():
        return "JoSans", "JoSans-Bold"
    regular, bold = _FONT_DIR / "DejaVuSans.ttf", _FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdfmetrics.registerFont(TTFont("JoSans", str(regular)))
        pdfmetrics.registerFont(TTFont("JoSans-Bold", str(bold)))
        return "JoSans", "JoSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """Vector QR (one rectangle per run of dark modules): sharp at any print resolution."""
    matrix = _qr(payload).get_matrix()  # includes the quiet zone
    module = size / len(matrix)
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + 1) * module
        col = 0
        while col < len(row):
            if row[col]:
                start = col
                while col < len(row) and row[col]:
                    col += 1
                canvas.rect(x + start * module, top, (col - start) * module, module, stroke=0, fill=1)
            else:
                col += 1


def _header(canvas: Canvas, bold: str, regular: str, width: float, height: float) -> None:
    canvas.setFillColor(_NAVY)
    canvas.rect(0, height - 3.2 * cm, width, 3.2 * cm, stroke=0, fill=1)
    for index, color in enumerate((_BLUE, white, _RED)):  # a tricolour ribbon
        canvas.setFillColor(color)
        canvas.rect(index * width / 3, height - 3.5 * cm, width / 3, 0.3 * cm, stroke=0, fill=1)
    canvas.setStrokeColor(_GOLD)
    canvas.setLineWidth(2)
    for index in range(3):  # abstract medal motif: concentric circles (no official emblem)
        canvas.circle(width - 2.6 * cm, height - 1.6 * cm, (0.45 + 0.3 * index) * cm, stroke=1, fill=0)
    canvas.setFillColor(white)
    canvas.setFont(bold, 22)
    canvas.drawString(1.8 * cm, height - 1.75 * cm, "JO E-Tickets \u2014 Paris 2024")
    canvas.setFont(regular, 10)
    canvas.drawString(1.8 * cm, height - 2.5 * cm, "E-ticket \u00b7 Billet \u00e9lectronique")


def ticket_pdf(data: TicketDocument) -> bytes:
    """The printable ticket: one A4 page (byte-identical output for identical input)."""
    regular, bold = _fonts()
    out = io.BytesIO()
    width, height = A4
    canvas = Canvas(out, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(f"Ticket {data.ticket_number} \u2014 {data.event_title}")
    canvas.setAuthor("JO E-Tickets")
    canvas.setSubject("E-ticket")
    _header(canvas, bold, regular, width, height)

    left, text_width = 1.8 * cm, width - 3.6 * cm
    y = height - 5 * cm
    canvas.setFillColor(_INK)
    canvas.setFont(bold, 20)
    for line in simpleSplit(data.event_title, bold, 20, text_width)[:3]:
        canvas.drawString(left, y, line)
        y -= 24
    local = data.local_start
    canvas.setFont(regular, 12)
    canvas.setFillColor(_BLUE)
    canvas.drawString(left, y, data.sport)
    y -= 26
    rows = [
        ("Venue", f"{data.venue}, {data.city}"),
        ("Date", local.strftime("%A %d %B %Y")),
        ("Time", f"{local:%H:%M} (Paris time, {local.tzname()})"),
        ("Pack", f"{data.pack_label} \u2014 {data.offer_title}"),
        ("Admits", f"{data.persons} person{'s' if data.persons > 1 else ''}"),
        ("Holder", data.holder_name),
        ("Order reference", data.order_reference),
        ("Ticket number", data.ticket_number),
    ]
    for label, value in rows:
        canvas.setFillColor(_INK)
        canvas.setFont(regular, 10)
        canvas.drawString(left, y, label)
        canvas.setFont(bold, 12)
        for line in simpleSplit(value, bold, 12, text_width - 4.2 * cm)[:2]:
            canvas.drawString(left + 4.2 * cm, y, line)
            y -= 16
        y -= 4

    qr_size = max(7 * cm, min(QR_SIZE, y - 6 * cm))  # shrink if long texts took the room (symbol stays > 6 cm)
    qr_x, qr_y = (width - qr_size) / 2, y - qr_size - 0.4 * cm
    _draw_qr(canvas, data.payload, qr_x, qr_y, qr_size)
    canvas.setFont(regular, 9)
    canvas.setFillColor(_INK)
    canvas.drawCentredString(width / 2, qr_y - 0.5 * cm, f"Ticket {data.ticket_number}")

    box_top = qr_y - 1.2 * cm
    canvas.setStrokeColor(_NAVY)
    canvas.setLineWidth(1)
    canvas.roundRect(left, box_top - 3.4 * cm, text_width, 3.4 * cm, 6, stroke=1, fill=0)
    instructions = [
        f"One scan admits the whole group ({data.persons} person{'s' if data.persons > 1 else ''}) once, together.",
        "Show this code at the gate, on paper or on screen, at full brightness.",
        "Do not share or post this ticket: the first scan wins and any copy is refused.",
        "Gates open a few hours before the session. Keep an ID document with you.",
    ]
    canvas.setFont(bold, 11)
    canvas.drawString(left + 0.4 * cm, box_top - 0.7 * cm, "How to use this ticket")
    canvas.setFont(regular, 9.5)
    for index, line in enumerate(instructions):
        canvas.drawString(left + 0.4 * cm, box_top - 1.3 * cm - index * 13, f"\u2022 {line}")

    if data.status == TicketStatus.CANCELLED.value:
        canvas.saveState()
        canvas.setFillColor(_RED)
        canvas.setFont(bold, 72)
        canvas.translate(width / 2, height / 2)
        canvas.rotate(35)
        canvas.drawCentredString(0, 0, "CANCELLED")
        canvas.restoreState()
        canvas.setFillColor(_RED)
        canvas.setFont(bold, 14)
        canvas.drawCentredString(width / 2, height - 4.2 * cm, "CANCELLED \u2014 this ticket does not admit anyone")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


# ---------------------------------------------------------------- iCalendar

def _ics_escape(value: str) -> str:
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _ics_fold(line: str) -> str:
    """RFC 5545 folding: lines of at most 75 octets, never splitting a UTF-8 character."""
    parts, current, size = [], "", 0
    for char in line:
        length = len(char.encode())
        if size + length > 75:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += length
    parts.append(current)
    return "\r\n".join(parts)


def _ics_time(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def ticket_ics(data: TicketDocument, *, now: datetime | None = None) -> str:
    """An iCalendar file with one VEVENT (3 h) for add-to-calendar. No holder name (calendars get shared)."""
    uid_part = re.sub(r"[^A-Za-z0-9-]", "-", data.ticket_number)
    description = (f"{data.sport}\nPack: {data.pack_label} ({data.persons} person{'s' if data.persons > 1 else ''})"
                   f"\nTicket: {data.ticket_number}\nOrder: {data.order_reference}"
                   "\nShow the QR code of your ticket at the gate.")
    stamp = now or utcnow()
    cancelled = data.status == TicketStatus.CANCELLED.value
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//JO E-Tickets//Tickets//EN", "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH", "BEGIN:VEVENT",
        f"UID:ticket-{uid_part}@jo-etickets",
        f"DTSTAMP:{_ics_time(stamp)}",
        f"DTSTART:{_ics_time(data.starts_at)}",
        f"DTEND:{_ics_time(data.starts_at + EVENT_DURATION)}",
        f"SUMMARY:{_ics_escape(data.event_title)}",
        f"LOCATION:{_ics_escape(f'{data.venue}, {data.city}')}",
        f"DESCRIPTION:{_ics_escape(description)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "TRANSP:OPAQUE",
        "END:VEVENT", "END:VCALENDAR",
    ]
    return "\r\n".join(_ics_fold(line) for line in lines) + "\r\n"


# ---------------------------------------------------------------- loading and cache

def load_ticket_document(session: Session, ticket_id: int) -> TicketDocument:
    """Gather a ticket's printable data; creates its QR payload if missing (and then commits). No authorization."""
    row = session.execute(
        select(Ticket, Order.reference, Offer.offer_type, Offer.title, Event)
        .join(Order, Order.id == Ticket.order_id)
        .join(Offer, Offer.id == Ticket.offer_id)
        .join(Event, Event.id == Ticket.event_id)
        .where(Ticket.id == ticket_id)
    ).first()
    if row is None:
        raise NotFoundError("Ticket not found.")
    ticket, reference, offer_type, offer_title, event = row
    if not ticket.qr_payload:
        ensure_payload(session, ticket)
        session.commit()
    assert ticket.id is not None and ticket.qr_payload
    return TicketDocument(
        ticket_id=ticket.id, ticket_number=ticket.number, event_title=event.title, sport=event.sport,
        venue=event.venue, city=event.city, starts_at=event.starts_at, offer_type=offer_type,
        offer_title=offer_title, persons=ticket.persons, holder_name=ticket.holder_name,
        order_reference=reference, status=ticket.status, payload=ticket.qr_payload,
    )


def _cache_dir() -> Path:
    folder = get_settings().cache_dir / "tickets"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _cached(name: str, ticket_id: int, suffix: str, build) -> bytes:
    """Read `name` from the cache, or build it, write it atomically and drop the ticket's older files."""
    folder = _cache_dir()
    path = folder / name
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
    for stale in folder.glob(f"{ticket_id}-*{suffix}"):
        if stale.name != name:
            stale.unlink(missing_ok=True)
    return content


def cached_ticket_pdf(session: Session, ticket_id: int) -> bytes:
    """The ticket PDF, from the cache when its content is unchanged. No authorization (callers check)."""
    data = load_ticket_document(session, ticket_id)
    return _cached(f"{ticket_id}-{data.fingerprint()}.pdf", ticket_id, ".pdf", lambda: ticket_pdf(data))


def cached_ticket_png(session: Session, ticket_id: int, *, box_size: int = 10) -> bytes:
    """The ticket's QR PNG, from the cache when its payload is unchanged. No authorization (callers check)."""
    data = load_ticket_document(session, ticket_id)
    digest = hashlib.sha256(data.payload.encode()).hexdigest()[:16]
    suffix = f".b{box_size}.png"
    return _cached(f"{ticket_id}-{digest}{suffix}", ticket_id, suffix,
                   lambda: qr_png(data.payload, box_size=box_size))
