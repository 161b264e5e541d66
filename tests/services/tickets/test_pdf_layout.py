"""The printed ticket's words never overlap (poppler's word boxes): each detail's label, in every language, ends
before its value starts (the French "Référence de commande" ran into the order reference)."""

from __future__ import annotations

import re
import subprocess
from itertools import pairwise
from pathlib import Path

import pytest

from jo_app.services.tickets import pdf
from tests.services.tickets.test_pdf_fonts import _document

WORD = re.compile(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<')


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_two_words_of_a_line_overlap(tmp_path: Path, lang: str) -> None:
    path = tmp_path / "ticket.pdf"
    path.write_bytes(pdf.ticket_pdf(_document("Zoë Łukasiewicz-Ødegård"), lang))
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True).stdout
    lines: dict[int, list[tuple[float, float, str]]] = {}
    for x_min, y_min, x_max, word in WORD.findall(boxes):
        lines.setdefault(round(float(y_min) / 3), []).append((float(x_min), float(x_max), word))
    assert any(word == "JO-8KQ2ZT" for line in lines.values() for _a, _b, word in line)
    for line in lines.values():
        line.sort()
        for (_x0, x1, word), (next_x0, _x1, next_word) in pairwise(line):
            assert x1 <= next_x0 + 0.5, f"{word!r} runs into {next_word!r} ({lang})"
