"""QR codes read back by an independent decoder (zxing-cpp), the way a gate camera sees them.

Only QR symbols are asked for: a full page (a rendered PDF, a screenshot) can hold text or lines that zxing-cpp
would otherwise report as a stray 1-D barcode (seen: '1524', '4030'), which no gate reads."""

from __future__ import annotations

import subprocess
from pathlib import Path

import zxingcpp
from PIL import Image

QR_FORMATS = (zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.MicroQRCode, zxingcpp.BarcodeFormat.RMQRCode)


def qr_texts(image: Image.Image) -> list[str]:
    """The text of every QR symbol zxing-cpp finds in the image."""
    return [found.text for found in zxingcpp.read_barcodes(image, formats=QR_FORMATS)]


def pdf_page_qr_texts(pdf: Path, dpi: int = 150) -> list[str]:
    """The QR symbols on the PDF's first page, rendered by poppler (pdftoppm) at `dpi`."""
    stem = pdf.with_name(f"{pdf.stem}-page")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(pdf), str(stem)], check=True)
    with Image.open(stem.parent / f"{stem.name}.png") as page:
        return qr_texts(page)
