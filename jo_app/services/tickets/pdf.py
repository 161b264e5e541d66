"""The printable A4 ticket (PDF, reportlab) in the buyer's language: texts from the catalogue, dates by Babel.

No authorization here (see `ticket_render`). Identical input gives byte-identical output (cache-friendly).
"""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from jo_app.i18n import normalize_lang, ntext, text
from jo_app.i18n.formats import format_clock, format_day
from jo_app.models import TicketStatus
from jo_app.services.tickets.document import TicketDocument, pack_label, paris_time, qr_matrix
from jo_app.services.tickets.notice import live_only_notice
from jo_app.services.tickets.pdf_fonts import CachedSubsetFont

_DARK_RUN = re.compile(rb"\x01+")
QR_SIZE = 7.5 * cm  # symbol including its quiet zone; the printed code stays >= 6 cm
_NAVY, _BLUE, _RED, _GOLD, _INK = (HexColor(c) for c in ("#0B1F4B", "#1F4FBF", "#E1000F", "#C9A227", "#111111"))
_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# Binary (Flate only) streams, as every PDF reader expects: reportlab's default ASCII85 layer on top of them costs
# ~2-3 ms of pure Python per ticket and makes the file 25 % larger. reportlab reads this setting when it saves.
rl_config.useA85 = 0


def _fonts() -> tuple[str, str]:
    """(regular, bold) font names: DejaVu (full Unicode names) when installed, else Helvetica."""
    if "JoSans" in pdfmetrics.getRegisteredFontNames():
        return "JoSans", "JoSans-Bold"
    regular, bold = _FONT_DIR / "DejaVuSans.ttf", _FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdfmetrics.registerFont(CachedSubsetFont("JoSans", str(regular)))  # subsets built once (pdf_fonts)
        pdfmetrics.registerFont(CachedSubsetFont("JoSans-Bold", str(bold)))
        return "JoSans", "JoSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _qr_rects(matrix: list[list[bool]]) -> list[tuple[int, int, int, int]]:
    """The dark modules as rectangles (column, row, width, height): runs along each row, merged with the same run
    on the rows below (finder patterns and vertical bars become one rectangle each)."""
    done: list[tuple[int, int, int, int]] = []
    open_: dict[tuple[int, int], int] = {}  # (start, end) of a run -> the row its rectangle began on
    for row_index, row in enumerate([*matrix, []]):  # an empty last row closes every rectangle
        runs = {match.span() for match in _DARK_RUN.finditer(bytes(row))}  # bools as bytes 0/1: runs found in C
        for run in [run for run in open_ if run not in runs]:
            top = open_.pop(run)
            done.append((run[0], top, run[1] - run[0], row_index - top))
        for run in runs:
            open_.setdefault(run, row_index)
    return done


def _draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """Vector QR (one filled path of rectangles, in module units): sharp at any print resolution."""
    matrix = qr_matrix(payload)  # includes the quiet zone
    module = size / len(matrix)
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    rects = " ".join(f"{col} {row} {width} {height} re" for col, row, width, height in _qr_rects(matrix))
    # module units, rows downwards from the symbol's top edge; one fill for the whole symbol (no seams)
    canvas.addLiteral(f"q {module:.4f} 0 0 {-module:.4f} {x:.3f} {y + size:.3f} cm {rects} f Q")


@functools.cache
def _header_art(width: float, height: float) -> str:
    """The header's shapes (navy band, tricolour ribbon, medal circles) as the page operators reportlab writes for
    them, formatted once: its circles alone were ~100 numbers formatted in Python per ticket."""
    canvas = Canvas(io.BytesIO(), pagesize=(width, height))
    start = len(canvas._code)
    canvas.setFillColor(_NAVY)
    canvas.rect(0, height - 3.2 * cm, width, 3.2 * cm, stroke=0, fill=1)
    for index, color in enumerate((_BLUE, white, _RED)):  # a tricolour ribbon
        canvas.setFillColor(color)
        canvas.rect(index * width / 3, height - 3.5 * cm, width / 3, 0.3 * cm, stroke=0, fill=1)
    canvas.setStrokeColor(_GOLD)
    canvas.setLineWidth(2)
    for index in range(3):  # abstract medal motif: concentric circles (no official emblem)
        canvas.circle(width - 2.6 * cm, height - 1.6 * cm, (0.45 + 0.3 * index) * cm, stroke=1, fill=0)
    return "\n".join(canvas._code[start:])


def _header(canvas: Canvas, bold: str, regular: str, width: float, height: float, lang: str) -> None:
    canvas.addLiteral(_header_art(width, height))
    canvas._strokeColorObj, canvas._lineWidth = _GOLD, 2  # as the drawing calls would have left them
    canvas.setFillColor(white)
    canvas.setFont(bold, 22)
    canvas.drawString(1.8 * cm, height - 1.75 * cm, text("pdf.header", lang))
    canvas.setFont(regular, 10)
    canvas.drawString(1.8 * cm, height - 2.5 * cm, text("pdf.subtitle", lang))


def ticket_pdf(data: TicketDocument, lang: str = "fr") -> bytes:
    """The printable ticket in `lang`: one A4 page (byte-identical output for identical input)."""
    lang = normalize_lang(lang)
    regular, bold = _fonts()
    out = io.BytesIO()
    width, height = A4
    canvas = Canvas(out, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(text("pdf.title", lang, number=data.ticket_number, event=data.event_title))
    canvas.setAuthor(text("site.name", lang))
    canvas.setSubject(text("pdf.subtitle", lang))
    _header(canvas, bold, regular, width, height, lang)

    left, text_width = 1.8 * cm, width - 3.6 * cm
    y = height - 5 * cm
    canvas.setFillColor(_INK)
    canvas.setFont(bold, 20)
    for line in simpleSplit(data.event_title, bold, 20, text_width)[:3]:
        canvas.drawString(left, y, line)
        y -= 24
    local = paris_time(data.starts_at)
    canvas.setFont(regular, 12)
    canvas.setFillColor(_BLUE)
    canvas.drawString(left, y, data.sport)
    y -= 26
    persons = ntext("common.persons", data.persons, lang)
    rows = [
        ("pdf.venue", f"{data.venue}, {data.city}"),
        ("pdf.date", format_day(data.starts_at, lang)),
        ("pdf.time", text("pdf.time_value", lang, time=format_clock(data.starts_at, lang), zone=local.tzname())),
        ("pdf.pack", f"{pack_label(data.offer_type, lang)} \u2014 {data.offer_title}"),
        ("pdf.admits", persons),
        ("pdf.holder", data.holder_name),
        ("pdf.order", data.order_reference),
        ("pdf.number", data.ticket_number),
    ]
    labels = [text(key, lang) for key, _value in rows]
    column = max(4.2 * cm, max(pdfmetrics.stringWidth(label, regular, 10) for label in labels) + 0.4 * cm)  # no overlap
    for label, (_key, value) in zip(labels, rows, strict=True):
        canvas.setFillColor(_INK)
        canvas.setFont(regular, 10)
        canvas.drawString(left, y, label)
        canvas.setFont(bold, 12)
        for line in simpleSplit(value, bold, 12, text_width - column)[:2]:
            canvas.drawString(left + column, y, line)
            y -= 16
        y -= 4

    qr_size = max(7 * cm, min(QR_SIZE, y - 6 * cm))  # shrink if long texts took the room (symbol stays > 6 cm)
    qr_x, qr_y = (width - qr_size) / 2, y - qr_size - 0.4 * cm
    if data.static_qr:
        _draw_qr(canvas, data.payload, qr_x, qr_y, qr_size)
    else:  # never print a code the gate will refuse: say how to get in instead
        live_only_notice(canvas, (bold, regular), lang, left, qr_y, text_width, qr_size)
    canvas.setFont(regular, 9)
    canvas.setFillColor(_INK)
    canvas.drawCentredString(width / 2, qr_y - 0.5 * cm, text("pdf.caption", lang, number=data.ticket_number))

    box_top = qr_y - 1.2 * cm
    canvas.setStrokeColor(_NAVY)
    canvas.setLineWidth(1)
    canvas.roundRect(left, box_top - 3.4 * cm, text_width, 3.4 * cm, 6, stroke=1, fill=0)
    instructions = [text("pdf.rule_group", lang, persons=persons)] + [
        text(key, lang) for key in ("pdf.rule_show" if data.static_qr else "pdf.rule_show_live", "pdf.rule_share",
                                    "pdf.rule_gates")]
    canvas.setFont(bold, 11)
    canvas.drawString(left + 0.4 * cm, box_top - 0.7 * cm, text("pdf.howto", lang))
    canvas.setFont(regular, 9.5)
    line_index = 0
    for instruction in instructions:
        for line in simpleSplit(f"\u2022 {instruction}", regular, 9.5, text_width - 0.8 * cm)[:2]:
            canvas.drawString(left + 0.4 * cm, box_top - 1.3 * cm - line_index * 13, line)
            line_index += 1

    if data.status == TicketStatus.CANCELLED:
        canvas.saveState()
        canvas.setFillColor(_RED)
        canvas.setFont(bold, 72)
        canvas.translate(width / 2, height / 2)
        canvas.rotate(35)
        canvas.drawCentredString(0, 0, text("pdf.cancelled", lang))
        canvas.restoreState()
        canvas.setFillColor(_RED)
        canvas.setFont(bold, 14)
        canvas.drawCentredString(width / 2, height - 4.2 * cm, text("pdf.cancelled_banner", lang))
    canvas.showPage()
    canvas.save()
    return out.getvalue()
