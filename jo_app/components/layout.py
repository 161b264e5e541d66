"""The page shell shared by every page: skip link, navbar (with mobile menu), language switch, footer.

Usage in a page function::

    from jo_app.components.layout import page_shell
    def catalogue() -> rx.Component:
        return page_shell(..., title_key="catalogue.title")

The navbar's display identity is refreshed by every page's on_load (`jo_app.application.App.add_page` puts
`AuthState.load_identity` first), so pages need no handler of their own for it; pages that show private data still
call `require_user()` in their own handlers.
"""

from __future__ import annotations

import reflex as rx

from jo_app.components.cart_badge import cart_badge
from jo_app.i18n import LangState, sync_html_lang, tr
from jo_app.state.accounts.lang_pref import LangPrefState
from jo_app.state.accounts.login import LoginState
from jo_app.state.auth import AuthState

MAIN_ID = "main"
MAX_WIDTH = "72rem"
NAV_MAX_WIDTH = "90rem"

# Global rules Radix does not cover: visible keyboard focus on every element, skip link, reduced motion.
GLOBAL_CSS = """
:focus-visible { outline: 3px solid #1d4ed8 !important; outline-offset: 2px; }
.jo-skip { position: absolute; left: -10000px; top: 0.5rem; z-index: 1000; padding: 0.6rem 1rem;
  background: #ffffff; color: #0b1f4d; border: 2px solid #1d4ed8; border-radius: 6px; font-weight: 600; }
.jo-skip:focus { left: 0.5rem; }
.jo-navlink { color: #0b1f4d; text-decoration: none; font-weight: 500; padding: 0.4rem 0.35rem; border-radius: 6px;
  white-space: nowrap; }
.jo-navlink:hover { background: #e8eefc; text-decoration: underline; }
.jo-footlink { color: #1e3a8a; }
/* Responsive nav (selectors more specific than Radix's `.rt-Box {display:block}`, which some pages load late) */
header .jo-desktop-only { display: none; }
header .jo-mobile-only { display: block; }
@media (min-width: 62em) { header .jo-desktop-only { display: flex; } header .jo-mobile-only { display: none; } }
@media (max-width: 400px) { header .jo-hide-narrow { display: none; } }
@media (prefers-reduced-motion: reduce) { * { transition: none !important; animation: none !important; } }
"""


def _nav_link(label_key: str, href: str, *children: rx.Component, **props) -> rx.Component:
    return rx.link(tr(label_key), *children, href=href, class_name="jo-navlink", **props)


def _cart_link(**props) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon("shopping-cart", size=18, aria_hidden="true"), rx.text(tr("nav.cart"), as_="span"),
                  cart_badge(), spacing="1", align="center"),
        href="/panier", class_name="jo-navlink", **props,
    )


def lang_switch() -> rx.Component:
    """Two buttons FR / EN; the active one is pressed (aria-pressed)."""
    def button(code: str, label_key: str) -> rx.Component:
        active = LangState.current_lang == code
        return rx.button(
            code.upper(),
            on_click=[LangState.set_lang(code), LangPrefState.remember(code)],  # a user's mails follow
            variant=rx.cond(active, "solid", "outline"),
            size="1",
            aria_pressed=rx.cond(active, "true", "false"),
            aria_label=tr(label_key),
            custom_attrs={"lang": code},
            id=f"lang-{code}",
        )

    return rx.hstack(button("fr", "nav.switch_to_fr"), button("en", "nav.switch_to_en"), spacing="1",
                     role="group", aria_label=tr("nav.language"))


# Display only: the gate and admin pages re-check the role from the database on every call.
_IS_STAFF = (AuthState.user_role == "employee") | (AuthState.user_role == "admin")


def _staff_links() -> rx.Component:
    """Gate and back-office entries, shown by role (display only: the pages re-check the role on the server).

    The gate needs the camera: every document is served with `Permissions-Policy: camera=(self)` (web/security.py),
    so reaching /controle through a client-side navigation keeps a document that may use it.
    """
    return rx.fragment(
        rx.cond(
            _IS_STAFF,
            rx.el.a(tr("nav.gate"), href="/controle", class_name="jo-navlink", id="nav-gate"),
        ),
        rx.cond(AuthState.user_role == "admin", _nav_link("nav.admin", "/admin", id="nav-admin")),
    )


def _logout_button(**props) -> rx.Component:
    return rx.button(tr("nav.logout"), on_click=LoginState.logout, variant="soft", color_scheme="gray", size="2",
                     id="logout-button", **props)


def _desktop_links() -> rx.Component:
    return rx.hstack(
        # Staff have four more entries: their "Accueil" is the logo (same link), so the row fits at 1366 px.
        rx.cond(_IS_STAFF, rx.fragment(), _nav_link("nav.home", "/")),
        _nav_link("nav.catalogue", "/billetterie"),
        _cart_link(),
        rx.cond(
            AuthState.is_authenticated,
            rx.hstack(_nav_link("nav.tickets", "/billets"), _nav_link("nav.orders", "/commandes"),
                      _nav_link("nav.account", "/compte", id="nav-account"), _staff_links(),
                      _logout_button(), spacing="1", align="center", wrap="wrap", justify="end"),
            rx.hstack(_nav_link("nav.login", "/connexion", id="nav-login"), spacing="2", align="center"),
        ),
        spacing="1",
        align="center",
        # Staff accounts have more entries: let them wrap instead of overflowing the page.
        wrap="wrap",
        justify="end",
        min_width="0",
        class_name="jo-desktop-only",
    )


def _mobile_cart() -> rx.Component:
    """The cart icon with its count, always in the phone header (not only inside the menu)."""
    return rx.box(
        rx.link(
            rx.hstack(rx.icon("shopping-cart", size=22, aria_hidden="true"), cart_badge(load=False), spacing="1",
                      align="center"),
            href="/panier", class_name="jo-navlink", aria_label=tr("nav.cart"), id="header-cart-mobile",
        ),
        class_name="jo-mobile-only",
    )


def _mobile_menu() -> rx.Component:
    def item(label_key: str, href: str) -> rx.Component:
        # as_child: the <a> itself is the menu item, so Enter on a focused item follows the link.
        return rx.menu.item(rx.link(tr(label_key), href=href, color="inherit", underline="none"), as_child=True)

    return rx.box(
        rx.menu.root(
            rx.menu.trigger(
                rx.button(rx.icon("menu", size=20, aria_hidden="true"),
                          rx.el.span(tr("nav.menu"), class_name="jo-hide-narrow"), variant="soft",
                          aria_label=tr("nav.open_menu"), id="mobile-menu-button"),
            ),
            rx.menu.content(
                item("nav.home", "/"),
                item("nav.catalogue", "/billetterie"),
                rx.menu.item(rx.link(rx.hstack(rx.text(tr("nav.cart"), as_="span"), cart_badge(load=False),
                                               spacing="1"),
                                     href="/panier", color="inherit", underline="none"), as_child=True),
                rx.cond(
                    AuthState.is_authenticated,
                    rx.fragment(
                        item("nav.tickets", "/billets"),
                        item("nav.orders", "/commandes"),
                        item("nav.account", "/compte"),
                        rx.cond(
                            _IS_STAFF,
                            rx.menu.item(rx.el.a(tr("nav.gate"), href="/controle"), as_child=True),
                        ),
                        rx.cond(AuthState.user_role == "admin", item("nav.admin", "/admin")),
                        rx.menu.separator(),
                        rx.menu.item(tr("nav.logout"), on_select=LoginState.logout),
                    ),
                    rx.fragment(item("nav.login", "/connexion"), item("nav.register", "/inscription")),
                ),
                variant="soft",
            ),
        ),
        class_name="jo-mobile-only",
    )


def navbar() -> rx.Component:
    return rx.el.header(
        rx.el.nav(
            rx.hstack(
                rx.link(
                    rx.hstack(rx.icon("ticket", size=24, aria_hidden="true", color="#1d4ed8"),
                              rx.text(tr("site.name"), weight="bold", size="5", as_="span", white_space="nowrap"),
                              spacing="2", align="center"),
                    href="/", underline="none", color="#0b1f4d", id="logo-link",
                ),
                rx.spacer(),
                _desktop_links(),
                lang_switch(),
                _mobile_cart(),
                _mobile_menu(),
                align="center",
                spacing="3",
                width="100%",
                # Wider than the page content: a staff account's nine entries stay on one row at 1366 px.
                max_width=NAV_MAX_WIDTH,
                margin_x="auto",
                padding_x="1rem",
                padding_y="0.6rem",
                wrap="nowrap",
            ),
            aria_label=tr("nav.main"),
        ),
        on_mount=sync_html_lang(),
        border_bottom="1px solid #d0d7e2",
        background="#ffffff",
        position="sticky",
        top="0",
        z_index="50",
        width="100%",
    )


def footer() -> rx.Component:
    def link(label_key: str, href: str) -> rx.Component:
        return rx.link(tr(label_key), href=href, class_name="jo-footlink", size="2")

    return rx.el.footer(
        rx.vstack(
            rx.el.nav(
                rx.flex(link("footer.privacy", "/confidentialite"), link("footer.legal", "/mentions-legales"),
                        link("footer.terms", "/cgv"), spacing="4", wrap="wrap"),
                aria_label=tr("footer.nav"),
            ),
            rx.text(tr("footer.copyright"), size="1", color="#374151"),
            spacing="2",
            max_width=MAX_WIDTH,
            margin_x="auto",
            padding="1.5rem 1rem",
        ),
        border_top="1px solid #d0d7e2",
        background="#f5f7fb",
        width="100%",
        margin_top="3rem",
    )


def page_shell(*children: rx.Component, title_key: str | None = None, narrow: bool = False,
               max_width: str | None = None, **props) -> rx.Component:
    """The full page: skip link, navbar, `<main id="main">` with an optional h1 from the catalogue, footer."""
    heading = [rx.heading(tr(title_key), as_="h1", size="7", margin_bottom="1rem", id="page-title")] \
        if title_key else []
    # Accent "indigo": white on its solid shade is 5.2:1 (the default "blue" solid is 3.3:1, below WCAG AA).
    return rx.theme(rx.box(
        rx.el.style(GLOBAL_CSS),
        rx.el.a(tr("nav.skip"), href=f"#{MAIN_ID}", class_name="jo-skip"),
        navbar(),
        rx.el.main(
            rx.box(*heading, *children, width="100%", max_width=max_width or ("34rem" if narrow else MAX_WIDTH),
                   margin_x="auto", padding_x="1rem", padding_y="1.5rem", **props),
            id=MAIN_ID,
            tab_index=-1,
            outline="none",
            flex="1",
        ),
        footer(),
        # data-hydrated="true" once the page's state (and its on_load handlers) reached the browser: tests wait for it
        # before typing, so a late hydration cannot reset what they typed.
        custom_attrs={"lang": LangState.current_lang, "data-hydrated": rx.cond(rx.State.is_hydrated, "true", "false")},
        id="page-shell",
        min_height="100vh",
        display="flex",
        flex_direction="column",
        background="#ffffff",
        color="#111827",
    ), accent_color="indigo", radius="medium", has_background=False)
