"""The ticket PDF with its font subsets built once (`pdf_fonts.CachedSubsetFont`) shows exactly what reportlab's own
per-document subsets showed: the same text for poppler and the same page, pixel for pixel, the printed QR readable."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageChops
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from jo_app.services.tickets import pdf
from jo_app.services.tickets.document import TicketDocument
from tests.services.tickets.test_ticket_render import _wait_for_tools

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
PAYLOAD = "JO1" + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 3


def _document(holder: str, number: str = "T-7QX2-94KD-LM3P") -> TicketDocument:
    return TicketDocument(
        ticket_id=41, ticket_number=number, event_title="Athlétisme — Finale du 100 m hommes", sport="Athlétisme",
        venue="Stade de France", city="Saint-Denis", starts_at=datetime(2024, 7, 27, 12, 30), offer_type="family",
        offer_title="Famille", persons=4, holder_name=holder, order_reference="JO-8KQ2ZT", status="valid",
        payload=PAYLOAD)


def _reference_fonts() -> tuple[str, str]:
    """reportlab's own TTFont (a subset per document, characters numbered by first use)."""
    if "RefSans" not in pdfmetrics.getRegisteredFontNames():
        for name, file in (("RefSans", "DejaVuSans.ttf"), ("RefSans-Bold", "DejaVuSans-Bold.ttf")):
            font = TTFont(name, str(DEJAVU / file))
            font.face.name = b"Ref" + font.face.name  # reportlab maps one face name to one registered font
            pdfmetrics.registerFont(font)
    assert type(pdfmetrics.getFont("RefSans")) is TTFont
    return "RefSans", "RefSans-Bold"


def _page(content: bytes, folder: Path, name: str) -> tuple[str, Image.Image]:
    path = folder / f"{name}.pdf"
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(path), str(folder / name)], check=True)
    return text, Image.open(folder / f"{name}.png").convert("RGB")


@pytest.mark.parametrize("holder", ["Zoë Łukasiewicz-Ødegård", "Jean Dupont",
                                    "Дмитрий Ωμέγα Nguyễn"])  # the last: characters outside the fixed subset
def test_same_text_and_same_page_as_reportlab_subsets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      holder: str) -> None:
    _wait_for_tools()
    assert isinstance(pdfmetrics.getFont(pdf._fonts()[0]), pdf.CachedSubsetFont)
    document = _document(holder)
    cached = pdf.ticket_pdf(document, "fr")
    assert pdf.ticket_pdf(document, "fr") == cached  # deterministic, cache or not
    monkeypatch.setattr(pdf, "_fonts", _reference_fonts)
    reference = pdf.ticket_pdf(document, "fr")
    assert reference != cached  # the fonts really were embedded differently
    text, page = _page(cached, tmp_path, "cached")
    reference_text, reference_page = _page(reference, tmp_path, "reference")
    assert text == reference_text and holder in text and "Billet électronique" in text
    assert ImageChops.difference(page, reference_page).getbbox() is None  # not one pixel differs
    found = zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [code.text for code in found] == [PAYLOAD]


def test_the_fixed_subset_is_built_once() -> None:
    regular = pdfmetrics.getFont(pdf._fonts()[0])
    for index, holder in enumerate(["Zoë Łukasiewicz", "Élodie Martin", "Jürgen Groß", "Ana Çelik"]):
        pdf.ticket_pdf(_document(holder, number=f"T-{index:04d}-ABCD-EFGH"), "en")
        pdf.ticket_pdf(_document(holder, number=f"T-{index:04d}-ABCD-EFGH"), "fr")
    first = [key for key in regular._objects if key[0].startswith("AAAAAA+")]
    assert len(first) == 1  # eight tickets, two languages, various names: one subset 0, built once
