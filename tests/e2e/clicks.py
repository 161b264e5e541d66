"""Helpers for browser tests that only click what a person clicks: the site is opened once at its home page, then
every page is reached through the navbar (desktop links) or the phone menu.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.qr_codes import pdf_page_qr_texts

DESKTOP = {"width": 1366, "height": 850}
PHONE = {"width": 390, "height": 844}


def open_site(page) -> None:
    """The one typed address: the site's home page."""
    page.goto("/")
    page.locator("#page-shell[data-hydrated=true]").wait_for()


def is_phone(page) -> bool:
    return page.viewport_size["width"] < 700


def nav(page, label: str) -> None:
    """Follow the navbar entry `label` (visible text): the desktop link, or the phone menu's item."""
    if is_phone(page):
        page.locator("#mobile-menu-button").click()
        page.get_by_role("menuitem", name=label, exact=True).click()
    else:
        page.locator("header nav").get_by_role("link", name=label, exact=True).click()


def login_by_clicks(page, email: str, password: str) -> None:
    """Open the site, follow "Connexion", fill the form, submit, wait for the authenticated navbar."""
    open_site(page)
    nav(page, "Connexion")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    page.wait_for_function(
        "() => !location.pathname.startsWith('/connexion') && !location.pathname.startsWith('/auth')")
    page.locator("#page-shell[data-hydrated=true]").wait_for()


def save_download(page, locator, folder: Path) -> tuple[Path, str]:
    """Click `locator` as a person does and keep the file the browser downloads: (saved file, requested URL)."""
    with page.expect_download(timeout=30_000) as info:
        locator.click()
    download = info.value
    assert download.failure() is None, download.failure()
    path = folder / download.suggested_filename
    download.save_as(path)
    return path, download.url


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def pdf_qr(pdf: Path) -> str:
    """The QR code printed on the PDF's first page, read by zxing-cpp after pdftoppm (independent checkers)."""
    texts = pdf_page_qr_texts(pdf)
    assert texts, f"no QR code on {pdf}"
    return texts[0]


def explain_failure(page, name: str) -> str:
    """On a failed step: a screenshot (test-artifacts/screenshots/<name>.png) and the page's URL and main text."""
    from tests.e2e.conftest import ARTIFACTS

    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        return f"at {page.url}: {page.locator('main').inner_text()[:1500]}"
    except Exception as exc:  # the page itself may be gone
        return f"(no page state: {exc})"
