"""Catalogue image uploads (events and offers): checked by content, re-encoded, stored under a random name.

- Accepted: PNG, JPEG and WebP, recognised by Pillow from the bytes (the file name and the declared type are
  ignored), at most `MAX_BYTES` (2 MB) and `MAX_PIXELS`; the file must decode completely.
- The picture is rebuilt from its pixels (EXIF orientation applied first) and saved again in its format, so
  EXIF/GPS, XMP, ICC profiles, comments and anything appended after the image data are dropped.
- Pictures wider or taller than `MAX_SIDE` are scaled down.
- The stored name is random (`secrets.token_hex`) with the extension of the real format; the caller chooses the
  directory (the app's upload dir, served under `/_upload/`).
"""

from __future__ import annotations

import io
import os
import secrets
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from jo_app.services.errors import ValidationError

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 25_000_000
MAX_SIDE = 2400
FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


def _reject(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code, field="image")


def _decode(data: bytes) -> Image.Image:
    """The fully decoded image, or ValidationError (unknown type, corrupt, too many pixels)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                if kind not in FORMATS:
                    raise _reject("Only PNG, JPEG and WebP images are accepted.", "image_type")
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise _reject("The image has too many pixels.", "image_too_large")
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
        except ValidationError:
            raise
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _reject("Only PNG, JPEG and WebP images are accepted.", "image_type") from None
        except Exception:  # truncated or corrupt data: Pillow raises OSError, SyntaxError, ValueError...
            raise _reject("The image file is damaged or incomplete.", "image_corrupt") from None
    if image.format not in FORMATS:  # pragma: no cover - same bytes, same format
        raise _reject("Only PNG, JPEG and WebP images are accepted.", "image_type")
    return image


def sanitize_image(data: bytes, *, max_bytes: int = MAX_BYTES) -> tuple[bytes, str]:
    """Validate `data` and return (re-encoded bytes without metadata, extension "png" / "jpg" / "webp")."""
    if not data:
        raise _reject("The file is empty.", "image_empty")
    if len(data) > max_bytes:
        raise _reject(f"The image must be at most {max_bytes // (1024 * 1024)} MB.", "image_too_big")
    image = _decode(data)
    kind = image.format
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if has_alpha and kind != "JPEG" else "RGB"
    clean = Image.new(mode, image.size)
    clean.paste(image.convert(mode))
    if max(clean.size) > MAX_SIDE:
        clean.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if kind == "JPEG":
        clean.save(out, "JPEG", quality=85, optimize=True)
    elif kind == "PNG":
        clean.save(out, "PNG", optimize=True)
    else:
        clean.save(out, "WEBP", quality=85)
    return out.getvalue(), FORMATS[kind]


def store_image(data: bytes, directory: Path, *, max_bytes: int = MAX_BYTES) -> str:
    """Validate, clean and save `data` in `directory` under a new random name; returns the file name."""
    content, extension = sanitize_image(data, max_bytes=max_bytes)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{extension}"
    temporary = directory / f".{name}.tmp"
    temporary.write_bytes(content)
    os.replace(temporary, directory / name)
    return name


def is_stored_name(name: str) -> bool:
    """Whether `name` looks like a file name made by `store_image` (no path, random hex, known extension)."""
    stem, dot, extension = name.partition(".")
    return bool(dot) and extension in FORMATS.values() and len(stem) == 32 and all(
        c in "0123456789abcdef" for c in stem)
