"""Catalogue image uploads: type checked by content, size limits, metadata stripped, random names."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from jo_app.services.catalog import images
from jo_app.services.errors import ValidationError


def _picture(fmt: str, size=(64, 48), mode="RGB", **save) -> bytes:
    color = {"RGB": (200, 30, 40), "RGBA": (200, 30, 40, 128)}.get(mode, 1)
    image = Image.new(mode, size, color)
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def _exif_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x0131] = "secret-software"  # Software
    exif[0x0112] = 6  # Orientation: rotate 90° CW to display
    return _picture("JPEG", exif=exif.tobytes(), comment=b"private comment")


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_accepts_png_jpeg_webp_and_stores_random_names(tmp_path: Path, fmt: str, ext: str) -> None:
    first = images.store_image(_picture(fmt), tmp_path)
    second = images.store_image(_picture(fmt), tmp_path)
    assert first != second and first.endswith(f".{ext}") and images.is_stored_name(first)
    with Image.open(tmp_path / first) as stored:
        assert stored.format == fmt and stored.size == (64, 48)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first, second])  # no temp files left


def test_type_is_checked_by_content_not_name(tmp_path: Path) -> None:
    gif = _picture("GIF")
    with pytest.raises(ValidationError) as info:
        images.store_image(gif, tmp_path)
    assert info.value.code == "image_type" and info.value.field == "image"
    for fake in (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
                 b"%PDF-1.7\n...", b"GIF89a" + b"\x00" * 40, b"\x89PNG\r\n\x1a\n" + b"garbage" * 10):
        with pytest.raises(ValidationError) as info:
            images.store_image(fake, tmp_path)
        assert info.value.code in {"image_type", "image_corrupt"}
    assert list(tmp_path.iterdir()) == []


def test_truncated_image_is_refused(tmp_path: Path) -> None:
    data = _picture("PNG", size=(300, 300))
    with pytest.raises(ValidationError) as info:
        images.store_image(data[: len(data) // 2], tmp_path)
    assert info.value.code == "image_corrupt"
    jpeg = _picture("JPEG", size=(400, 400))
    with pytest.raises(ValidationError):
        images.store_image(jpeg[:200], tmp_path)


def test_size_limits(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        images.store_image(b"", tmp_path)
    assert info.value.code == "image_empty"
    big = _picture("PNG") + b"\x00" * (2 * 1024 * 1024)
    with pytest.raises(ValidationError) as info:
        images.store_image(big, tmp_path)
    assert info.value.code == "image_too_big"
    with pytest.raises(ValidationError) as info:  # a tiny file that decodes to a huge picture (pixel bomb)
        images.store_image(_picture("PNG", size=(6000, 6000), mode="1"), tmp_path)
    assert info.value.code in {"image_too_large", "image_type"}
    assert list(tmp_path.iterdir()) == []


def test_metadata_and_trailing_data_are_stripped(tmp_path: Path) -> None:
    data = _exif_jpeg()
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get(0x010F) == "SpyCam Inc."
    name = images.store_image(data + b"TRAILING-SECRET", tmp_path)
    stored_bytes = (tmp_path / name).read_bytes()
    assert b"SpyCam" not in stored_bytes and b"secret-software" not in stored_bytes
    assert b"private comment" not in stored_bytes and b"TRAILING-SECRET" not in stored_bytes
    with Image.open(tmp_path / name) as stored:
        assert dict(stored.getexif()) == {}
        assert stored.size == (48, 64)  # orientation applied before dropping the tag
    png = _picture("PNG", pnginfo=_png_text("Author", "Jane Secret"))
    assert b"Jane Secret" in png
    assert b"Jane Secret" not in (tmp_path / images.store_image(png, tmp_path)).read_bytes()


def test_transparency_kept_for_png_and_large_pictures_scaled(tmp_path: Path) -> None:
    name = images.store_image(_picture("PNG", mode="RGBA"), tmp_path)
    with Image.open(tmp_path / name) as stored:
        assert stored.mode == "RGBA" and stored.getpixel((0, 0))[3] == 128
    name = images.store_image(_picture("JPEG", size=(3000, 1500)), tmp_path)
    with Image.open(tmp_path / name) as stored:
        assert stored.size == (2400, 1200)


def test_is_stored_name() -> None:
    assert images.is_stored_name("0123456789abcdef0123456789abcdef.webp")
    assert not images.is_stored_name("../0123456789abcdef0123456789abcdef.webp")
    assert not images.is_stored_name("0123456789abcdef0123456789abcdef.svg")
    assert not images.is_stored_name("evil.png")


def _png_text(key: str, value: str):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text(key, value)
    return info
