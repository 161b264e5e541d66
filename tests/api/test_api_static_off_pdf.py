"""When the admin refuses static QR codes for a session, the ticket PDF prints no QR (none decodable by zxing-cpp
in the rendered page) but a notice, in the buyer's language, to show the ticket from the app's live QR."""

from __future__ import annotations

import subprocess
from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.conftest import World, bearer, buy
from tests.qr_codes import pdf_page_qr_texts


def _text_and_codes(pdf: bytes, tmp_path: Path, name: str) -> tuple[str, list[str]]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return " ".join(text.split()), pdf_page_qr_texts(path)


def test_no_printed_qr_once_the_session_refuses_it(client: TestClient, world: World, tmp_path: Path) -> None:
    owner = bearer(client, world.visitor)
    ticket_id = buy(client, owner, world.offers["solo"])["ticket_ids"][0]
    url = f"/api/v1/tickets/{ticket_id}/ticket.pdf"
    text, codes = _text_and_codes(client.get(url, headers=owner).content, tmp_path, "before")
    assert len(codes) == 1 and codes[0].startswith("JO1") and "QR CODE IMPRIMÉ" not in text  # printed as usual

    admin = bearer(client, world.admin)
    off = client.put(f"/api/v1/admin/events/{world.event_id}/static-qr", json={"enabled": False}, headers=admin)
    assert off.status_code == 204
    french = client.get(url, headers=owner)
    assert french.status_code == 200 and french.headers["content-type"] == "application/pdf"
    text, codes = _text_and_codes(french.content, tmp_path, "fr")
    assert codes == []  # nothing the gate would refuse
    assert "PAS DE QR CODE IMPRIMÉ POUR CETTE SESSION" in text and "Mes billets" in text, text
    assert "15 secondes" in text and "pas ce document" in text
    text, codes = _text_and_codes(client.get(url + "?lang=en", headers=owner).content, tmp_path, "en")
    assert codes == [] and "NO PRINTED QR CODE FOR THIS SESSION" in text and "My tickets" in text, text
    assert "not this document" in text

    on = client.put(f"/api/v1/admin/events/{world.event_id}/static-qr", json={"enabled": True}, headers=admin)
    assert on.status_code == 204
    text, codes = _text_and_codes(client.get(url, headers=owner).content, tmp_path, "again")
    assert len(codes) == 1 and "QR CODE IMPRIMÉ" not in text  # a new file: the cache follows the switch
