"""`FastQRCode` encodes exactly what `qrcode.QRCode` encodes; the PDF's QR rectangles cover exactly the dark modules."""

from __future__ import annotations

import base64
import random

import pytest
import qrcode
from qrcode import util
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

from jo_app.services.qr_fast import FastQRCode, lost_point
from jo_app.services.tickets.document import qr_matrix
from jo_app.services.tickets.pdf import _qr_rects

LEVELS = (ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q, ERROR_CORRECT_H)


def _ticket_like(rng: random.Random) -> str:
    return "JO1:" + base64.b32encode(rng.randbytes(98)).decode().rstrip("=")


def _inputs(seed: int, count: int) -> list[tuple[object, int]]:
    rng = random.Random(seed)
    made = []
    for index in range(count):
        kind = index % 4
        if kind == 0:
            data: object = _ticket_like(rng)
        elif kind == 1:
            data = "https://jo.example/billets/transfert/" + rng.randbytes(rng.randint(1, 120)).hex()
        elif kind == 2:
            data = rng.randbytes(rng.randint(1, 300))  # byte mode, many versions
        else:
            data = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 400)))  # numeric mode
        made.append((data, LEVELS[index % 4]))
    return made


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_symbol_as_qrcode(seed: int) -> None:
    for data, level in _inputs(seed, 40):
        reference = qrcode.QRCode(error_correction=level, border=4)
        reference.add_data(data)
        reference.make(fit=True)
        fast = FastQRCode(error_correction=level, border=4)
        fast.add_data(data)
        fast.make(fit=True)
        assert fast.version == reference.version
        assert fast.get_matrix() == reference.get_matrix(), (data, level)


def test_penalty_is_the_library_s() -> None:
    rng = random.Random(7)
    for size in (21, 25, 57, 57, 97):
        for density in (0.2, 0.5, 0.8):
            modules = [[rng.random() < density for _ in range(size)] for _ in range(size)]
            rows = [sum(1 << j for j, dark in enumerate(row) if dark) for row in modules]
            assert lost_point(rows, size) == util.lost_point(modules)


def test_fixed_mask_and_a_second_make_still_work() -> None:
    payload = _ticket_like(random.Random(11))
    for mask in range(8):
        reference = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, mask_pattern=mask)
        reference.add_data(payload)
        fast = FastQRCode(error_correction=ERROR_CORRECT_Q, mask_pattern=mask)
        fast.add_data(payload)
        assert fast.get_matrix() == reference.get_matrix()
    symbols = []
    for kind in (qrcode.QRCode, FastQRCode):  # one object reused for other data: same behaviour as the library's
        code = kind(error_correction=ERROR_CORRECT_Q)
        code.add_data(payload)
        code.make()
        code.clear()
        code.add_data("OTHER DATA 123")
        code.make()
        symbols.append(code.get_matrix())
    assert symbols[0] == symbols[1]


def test_pdf_rectangles_cover_exactly_the_dark_modules() -> None:
    rng = random.Random(5)
    for _ in range(10):
        matrix = qr_matrix(_ticket_like(rng))
        painted = [[0] * len(matrix) for _ in matrix]
        for col, row, width, height in _qr_rects(matrix):
            for r in range(row, row + height):
                for c in range(col, col + width):
                    painted[r][c] += 1
        assert painted == [[int(dark) for dark in row] for row in matrix]  # each dark module once, nothing else
        assert len(_qr_rects(matrix)) < sum(map(sum, matrix)) / 2  # merged: far fewer rectangles than modules
