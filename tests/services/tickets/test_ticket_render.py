"""Ticket rendering checked by independent tools: zxing-cpp for QR codes, poppler for the PDF, icalendar for ICS."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import icalendar
import pytest
import zxingcpp
from PIL import Image
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.models import Ticket, TicketStatus
from jo_app.services.errors import NotFoundError
from jo_app.services.tickets import signing
from jo_app.services.tickets.render import (
    TicketDocument,
    cached_ticket_pdf,
    cached_ticket_png,
    load_ticket_document,
    qr_png,
    ticket_ics,
    ticket_pdf,
)
from jo_app.services.tickets.tokens import encode_ticket, verify
from tests.factories import make_event, make_offer, make_order, make_ticket, make_user

STARTS = datetime(2024, 7, 27, 12, 30)  # 14:30 in Paris (CEST)
TITLE = "Athlétisme — Finale 100 m hommes"
HOLDER_FIRST, HOLDER_LAST = "Zoë", "Łukasiewicz-Ødegård"


def _wait_for_tools() -> None:
    """poppler may still be installing (apt in background): wait a little instead of skipping."""
    deadline = time.monotonic() + 300
    while not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        if time.monotonic() > deadline:
            pytest.fail("poppler-utils (pdftotext, pdftoppm) is not installed")
        time.sleep(5)


@pytest.fixture(autouse=True)
def _fresh_cache():
    signing.clear_cache()
    yield
    signing.clear_cache()


@pytest.fixture
def ticket(session: Session) -> Ticket:
    user = make_user(session, first_name=HOLDER_FIRST, last_name=HOLDER_LAST)
    event = make_event(session, starts_at=STARTS, title=TITLE, sport="Athlétisme", venue="Stade de France",
                       city="Saint-Denis")
    offer = make_offer(session, event, offer_type="duo")
    order = make_order(session, user)
    ticket = make_ticket(session, order, offer, user)
    session.commit()
    return ticket


def _read_qr(image: Image.Image) -> list:
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def test_qr_png_decodes_to_the_exact_payload(session: Session, ticket: Ticket) -> None:
    payload = encode_ticket(session, ticket)
    png = qr_png(payload)
    assert png.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(png))
    found = _read_qr(image)
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert found[0].text == payload
    assert verify(session, found[0].text).ticket_id == ticket.id
    # high contrast: only pure black and white pixels
    assert {value for _count, value in image.convert("L").getcolors()} == {0, 255}
    small = Image.open(io.BytesIO(qr_png(payload, box_size=3)))
    assert small.width < image.width and _read_qr(small)[0].text == payload


def test_load_ticket_document_creates_and_commits_the_payload(session: Session, ticket: Ticket,
                                                              engine) -> None:
    data = load_ticket_document(session, ticket.id)
    assert data.event_title == TITLE and data.holder_name == f"{HOLDER_FIRST} {HOLDER_LAST}"
    assert data.persons == 2 and data.pack_label == "Duo" and data.starts_at == STARTS
    with Session(engine) as other:  # committed: visible from another connection
        assert other.get(Ticket, ticket.id).qr_payload == data.payload
    assert load_ticket_document(session, ticket.id).payload == data.payload
    with pytest.raises(NotFoundError):
        load_ticket_document(session, 987654)


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "ticket.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


PDF_TEXTS = {
    "fr": ("samedi 27 juillet 2024", "14:30 (heure de Paris", "Duo", "2 personnes", "une fois", "Titulaire",
           "Comment utiliser ce billet", "Billet électronique"),
    "en": ("Saturday, 27 July 2024", "14:30 (Paris time", "Duo", "2 persons", "once", "Holder",
           "How to use this ticket", "E-ticket"),
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pdf_text_and_printed_qr(session: Session, ticket: Ticket, tmp_path: Path, lang: str) -> None:
    _wait_for_tools()
    data = load_ticket_document(session, ticket.id)
    pdf = ticket_pdf(data, lang)
    assert pdf.startswith(b"%PDF") and ticket_pdf(data, lang) == pdf  # deterministic
    text = _pdf_text(pdf, tmp_path)
    order_reference = data.order_reference
    for expected in (TITLE, "Stade de France", "Saint-Denis", f"{HOLDER_FIRST} {HOLDER_LAST}", order_reference,
                     ticket.number, "JO E-Tickets — Paris 2024", "Athlétisme", *PDF_TEXTS[lang]):
        assert expected in text, expected
    other = PDF_TEXTS["en" if lang == "fr" else "fr"]
    assert not [t for t in other if t in text and t not in PDF_TEXTS[lang]]  # nothing of the other language
    assert "CANCELLED" not in text and "ANNULÉ" not in text

    (tmp_path / "ticket.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "ticket.pdf"),
                    str(tmp_path / "page")], check=True)
    page = Image.open(tmp_path / "page.png")
    assert abs(page.width - 1240) <= 2 and abs(page.height - 1754) <= 2  # A4 at 150 dpi
    found = _read_qr(page)
    assert len(found) == 1 and found[0].text == data.payload, [(b.format, b.text, str(b.position)) for b in found]
    assert verify(session, found[0].text).ticket_id == ticket.id
    position = found[0].position
    side_px = position.top_right.x - position.top_left.x
    assert side_px / 150 * 2.54 >= 6.0  # the QR symbol is at least 6 cm wide on paper


def test_cancelled_ticket_pdf_is_marked(session: Session, ticket: Ticket, tmp_path: Path) -> None:
    _wait_for_tools()
    ticket.status = TicketStatus.CANCELLED.value
    session.add(ticket)
    session.commit()
    data = load_ticket_document(session, ticket.id)
    assert "CANCELLED — this ticket does not admit anyone" in _pdf_text(ticket_pdf(data, "en"), tmp_path)
    assert "ANNULÉ — ce billet ne permet plus d'entrer" in _pdf_text(ticket_pdf(data), tmp_path)


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache folder of this test's own: other tests (and the other database variant on this worker) render the
    same ticket ids into the run's shared cache."""
    monkeypatch.setenv("CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    yield get_settings().cache_dir / "tickets"
    monkeypatch.undo()
    get_settings.cache_clear()


def test_cached_pdf_per_language(session: Session, ticket: Ticket, tmp_path: Path, private_cache: Path) -> None:
    """Each language has its own cache file: asking for one never evicts or serves the other."""
    _wait_for_tools()
    french, english = cached_ticket_pdf(session, ticket.id, "fr"), cached_ticket_pdf(session, ticket.id, "en")
    assert "Titulaire" in _pdf_text(french, tmp_path) and "Holder" in _pdf_text(english, tmp_path)
    assert cached_ticket_pdf(session, ticket.id, "fr") == french and cached_ticket_pdf(session, ticket.id) == french
    assert len(list((private_cache / str(ticket.id)).glob(f"{ticket.id}-*.pdf"))) == 2


def test_cache_files_follow_the_payload(session: Session, ticket: Ticket, private_cache: Path) -> None:
    folder = private_cache / str(ticket.id)  # one folder per ticket: stale files are found without a full scan
    pdf = cached_ticket_pdf(session, ticket.id)
    png = cached_ticket_png(session, ticket.id)
    files = sorted(p.name for p in folder.glob(f"{ticket.id}-*"))
    assert len(files) == 2 and any(f.endswith(".pdf") for f in files) and any(f.endswith(".png") for f in files)
    for name in files:
        assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(folder).st_mode) == stat.S_IMODE(os.stat(private_cache).st_mode) == 0o700
    assert not list(folder.glob(".tmp-*"))
    # served from the cache: the file content is returned as is
    pdf_file = next(folder.glob(f"{ticket.id}-*.pdf"))
    pdf_file.write_bytes(pdf + b"%cached\n")
    assert cached_ticket_pdf(session, ticket.id).endswith(b"%cached\n")
    assert cached_ticket_png(session, ticket.id) == png

    # re-issue: new qr_id, payload cleared -> new files, old ones gone, new QR decodes to the new payload
    old_payload = ticket.qr_payload
    ticket.qr_id = "00112233445566ff"
    ticket.qr_payload = None
    session.add(ticket)
    session.commit()
    new_png = cached_ticket_png(session, ticket.id)
    new_pdf = cached_ticket_pdf(session, ticket.id)
    assert new_pdf != pdf and not new_pdf.endswith(b"%cached\n")
    new_files = sorted(p.name for p in folder.glob(f"{ticket.id}-*"))
    assert len(new_files) == 2 and not set(new_files) & set(files)
    text = _read_qr(Image.open(io.BytesIO(new_png)))[0].text
    assert text == ticket.qr_payload != old_payload and verify(session, text).qr_id == "00112233445566ff"


@pytest.mark.parametrize(("lang", "words"), [("fr", ("Formule : Duo (2 personnes)", "Billet : ", "Commande : ")),
                                             ("en", ("Pack: Duo (2 persons)", "Ticket: ", "Order: "))])
def test_ics_parses_with_icalendar(session: Session, ticket: Ticket, lang: str, words: tuple[str, ...]) -> None:
    data = load_ticket_document(session, ticket.id)
    tricky = TicketDocument(**{**data.__dict__, "event_title": "Finale; relais, 4x100 m\\ « spécial » " + "x" * 80})
    ics = ticket_ics(tricky, lang, now=datetime(2024, 7, 1, 8, 0))
    assert ics.endswith("\r\n") and "\n" not in ics.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    calendar = icalendar.Calendar.from_ical(ics)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert str(event["SUMMARY"]) == tricky.event_title
    assert str(event["UID"]) == f"ticket-{ticket.number}@jo-etickets"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.utcoffset() == timedelta(0) and start.replace(tzinfo=None) == STARTS
    assert end - start == timedelta(hours=3)
    assert str(event["LOCATION"]) == "Stade de France, Saint-Denis"
    description = str(event["DESCRIPTION"])
    assert ticket.number in description and data.order_reference in description and "\n" in description
    assert all(word in description for word in words), description
    assert event["DESCRIPTION"].params["LANGUAGE"] == lang
    assert HOLDER_LAST not in ics  # no personal data in calendars
    assert str(event["STATUS"]) == "CONFIRMED"
