"""Legal pages: /confidentialite, /mentions-legales, /cgv (text in the catalogue, keys `<page>.s<n>.h|p<m>`)."""

from __future__ import annotations

import reflex as rx

from jo_app.components.layout import page_shell
from jo_app.i18n import LEGAL_PAGES, tr


def legal_page(page: str) -> rx.Component:
    sections = [
        rx.el.section(
            rx.heading(tr(heading), as_="h2", size="5", margin_top="1.5rem", margin_bottom="0.5rem"),
            *(rx.text(tr(p), as_="p", margin_bottom="0.6rem", line_height="1.6") for p in paragraphs),
        )
        for heading, paragraphs in LEGAL_PAGES[page]
    ]
    return page_shell(
        rx.text(tr(f"{page}.intro"), as_="p", size="4", color="#374151"),
        *sections,
        title_key=f"{page}.title",
        max_width="48rem",
        id=f"legal-{page}",
    )


def privacy_page() -> rx.Component:
    return legal_page("privacy")


def legal_notice_page() -> rx.Component:
    return legal_page("legalnotice")


def terms_page() -> rx.Component:
    return legal_page("terms")
