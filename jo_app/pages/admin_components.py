"""UI pieces shared by the admin pages: shell with the admin sub-navigation and the access gate, notices."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jo_app.components.forms import notice
from jo_app.components.layout import page_shell
from jo_app.i18n import LangState, tr
from jo_app.state.admin_common import AdminState

MUTED = "#374151"
SECTIONS = (
    ("admin.nav.dashboard", "/admin", "dashboard"),
    ("admin.nav.catalog", "/admin/evenements", "catalog"),
    ("admin.nav.orders", "/admin/commandes", "orders"),
    ("admin.nav.users", "/admin/utilisateurs", "users"),
    ("admin.nav.audit", "/admin/journal", "audit"),
    ("admin.nav.resale", "/admin/revente", "resale"),
    ("admin.nav.onsales", "/admin/file-attente", "onsales"),
)


def loc(row: Any, name: str) -> rx.Var:
    """`row[name_fr]` or `row[name_en]` by the current language."""
    return rx.cond(LangState.current_lang == "en", row[f"{name}_en"], row[f"{name}_fr"])


def admin_nav(active: str) -> rx.Component:
    def link(label_key: str, href: str, name: str) -> rx.Component:
        current = name == active
        return rx.link(tr(label_key), href=href, id=f"admin-nav-{name}", weight="bold" if current else "medium",
                       underline="always" if current else "hover", aria_current="page" if current else None,
                       padding="0.35rem 0.6rem", border_radius="6px",
                       background="#e8eefc" if current else "transparent", color="#0b1f4d")

    return rx.el.nav(rx.flex(*(link(*s) for s in SECTIONS), gap="0.5rem", wrap="wrap"),
                     aria_label=tr("admin.nav.label"), margin_bottom="1.25rem")


def access_denied() -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.text(tr("admin.denied"), weight="bold"),
            rx.link(tr("admin.denied_login"), href="/connexion?next=/admin"),
            spacing="1",
        ),
        icon="shield-alert", color_scheme="red", role="alert", id="admin-denied", width="100%",
    )


# Tables scroll sideways inside their box on a phone (the page itself never does; columns keep their natural width
# instead of being squeezed) and keep their first column (the row's name: event, order, user) pinned on the left
# while the other columns scroll under it. Radix clips the table with `overflow: hidden`, which would make the table
# itself the sticky cell's scroll container: `clip` keeps the rounded corners without that.
ADMIN_TABLE_CSS = """
#admin-content .rt-TableRoot { max-width: 100%; }
#admin-content .rt-TableRootTable { overflow: clip; }
#admin-content .rt-TableRoot table tr > :first-child { position: sticky; left: 0; z-index: 1;
  background: var(--color-panel-solid, #ffffff); box-shadow: 1px 0 0 #d0d7e2; }
@media (max-width: 47.99em) {
  #admin-content .rt-TableRootTable { width: max-content; min-width: 100%; }
  #admin-content .rt-TableRoot table tr > :first-child { min-width: 8rem; max-width: 11rem; overflow-wrap: anywhere; }
  #admin-content .rt-TableRoot table tr > :not(:first-child) { white-space: nowrap; }
}
"""


def admin_shell(*children: rx.Component, title_key: str, active: str) -> rx.Component:
    """The page shell; the content renders only once the server granted access (data is loaded only then)."""
    return page_shell(
        rx.el.style(ADMIN_TABLE_CSS),
        rx.match(
            AdminState.access,
            ("granted", rx.box(admin_nav(active), *children,
                               rx.text(rx.icon("clock", size=14, aria_hidden="true"), " ", tr("admin.timezone_note"),
                                       size="1", color=MUTED, margin_top="1.5rem", id="admin-timezone"),
                               width="100%", id="admin-content")),
            ("denied", access_denied()),
            rx.center(rx.spinner(size="3"), padding="3rem"),
        ),
        title_key=title_key,
        max_width="80rem",
    )


def notices(state: Any) -> rx.Component:
    """The page's success (`state.message`) and error (`state.error`) notices."""
    return rx.fragment(notice(state.message, tone="green", box_id="admin-message"),
                       notice(state.error, tone="red", box_id="admin-error"))


def status_badge(published: rx.Var) -> rx.Component:
    return rx.cond(published, rx.badge(tr("admin.published"), color_scheme="green", high_contrast=True),
                   rx.badge(tr("admin.unpublished"), color_scheme="gray", high_contrast=True))


def label(text_key: str, html_for: str) -> rx.Component:
    return rx.el.label(tr(text_key), html_for=html_for,
                       style={"fontWeight": "600", "display": "block", "marginBottom": "0.25rem"})


NATIVE_SELECT = {"padding": "0.45rem 0.5rem", "border": "1px solid #9ca3af", "borderRadius": "6px",
                 "background": "#ffffff", "minHeight": "2.5rem", "width": "100%"}
