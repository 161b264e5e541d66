"""QR codes as inline PNG `data:` URIs (rendered on the server; no external service sees the content)."""

from __future__ import annotations

import base64
import io

from qrcode.constants import ERROR_CORRECT_M

from jo_app.services.qr_fast import FastQRCode


def qr_data_uri(content: str, *, box_size: int = 6, border: int = 4) -> str:
    """`data:image/png;base64,...` of a black-on-white QR code encoding `content`."""
    qr = FastQRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    qr.add_data(content)
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
