"""The app's own 404 page (Reflex's default is a bare English "404: Page not found"), in the visitor's language."""

from __future__ import annotations

import reflex as rx

from jo_app.components.layout import page_shell
from jo_app.i18n import tr


def not_found_page() -> rx.Component:
    return page_shell(
        rx.text(tr("notfound.text"), as_="p", size="4", color="#374151", id="not-found"),
        rx.flex(
            rx.link(rx.button(tr("notfound.home"), size="3", tab_index=-1), href="/", id="not-found-home"),
            rx.link(rx.button(tr("notfound.catalogue"), size="3", variant="soft", tab_index=-1), href="/billetterie",
                    id="not-found-catalogue"),
            gap="1rem", wrap="wrap", margin_top="1.5rem",
        ),
        title_key="notfound.title",
        narrow=True,
    )
