"""The notice a ticket PDF prints instead of its QR code when the admin refuses static QRs for the session.

A printed code the gate would refuse (STATIC_REFUSED) only sends a buyer to the wrong queue: the PDF says instead, in
the buyer's language (the catalogue, `jo_app.i18n.text`: no Reflex here), that the ticket must be shown
from the app's live QR code.
"""

from __future__ import annotations

from reportlab.lib.colors import HexColor
from reportlab.lib.units import cm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from jo_app.i18n import normalize_lang, text

_RED, _INK, _PALE = (HexColor(c) for c in ("#E1000F", "#111111", "#FFF4F4"))


def notice_texts(lang: str) -> tuple[str, str]:
    """(title, body) of the notice in `lang` (fr or en; anything else: fr)."""
    lang = normalize_lang(lang)
    return text("own.pdf_static_off_title", lang), text("own.pdf_static_off_body", lang)


def live_only_notice(canvas: Canvas, fonts: tuple[str, str], lang: str, x: float, y: float, width: float,
                     height: float) -> None:
    """Draw the framed notice in the box (x, y, width, height) where the QR code would be."""
    bold, regular = fonts
    title, body = notice_texts(lang)
    canvas.saveState()
    canvas.setStrokeColor(_RED)
    canvas.setFillColor(_PALE)
    canvas.setLineWidth(2)
    canvas.roundRect(x, y, width, height, 8, stroke=1, fill=1)
    inner = width - 1.2 * cm
    top = y + height - 1.1 * cm
    canvas.setFillColor(_RED)
    canvas.setFont(bold, 14)
    for line in simpleSplit(title, bold, 14, inner)[:3]:
        canvas.drawCentredString(x + width / 2, top, line)
        top -= 19
    top -= 8
    canvas.setFillColor(_INK)
    canvas.setFont(regular, 11.5)
    for line in simpleSplit(body, regular, 11.5, inner)[:10]:
        canvas.drawString(x + 0.6 * cm, top, line)
        top -= 15.5
    canvas.restoreState()
