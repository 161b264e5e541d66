"""Public shop pages: home (/), catalogue (/billetterie) and session page (/billetterie/[event_id])."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jo_app.components.layout import page_shell
from jo_app.i18n import num, tr, tr_count, tr_var
from jo_app.pages.shop_components import (
    BLUE,
    MUTED,
    PRIMARY,
    RED_TEXT,
    SR_ONLY_CSS,
    event_card,
    event_image,
    live_seats,
    loc,
    seats_badge,
    trv,
    type_label,
)
from jo_app.state.auth import AuthState
from jo_app.state.catalog.home import HomeState
from jo_app.state.catalog.live import CatalogueState
from jo_app.state.catalog.shop import EventPageState, ShopState
from jo_app.state.orders.cart import CartState

GRID_COLUMNS = {"initial": "1", "sm": "2", "lg": "3"}


# ------------------------------------------------------------------ home

def _sport_chip(sport: rx.Var) -> rx.Component:
    return rx.link(rx.badge(sport, size="3", variant="surface", color_scheme="blue", high_contrast=True),
                   href="/billetterie?sport=" + sport.to(str), underline="none")


def home() -> rx.Component:
    return page_shell(
        rx.el.style(SR_ONLY_CSS),
        rx.box(
            rx.vstack(
                rx.heading(tr("shop.home.hero_title"), as_="h1", size="8", color="white", id="page-title"),
                rx.text(tr("shop.home.hero_text"), size="4", color="#f3f4f6", max_width="40rem"),
                rx.hstack(
                    rx.cond(
                        HomeState.loaded,
                        rx.text(rx.text.strong(num(HomeState.sessions_on_sale), id="sessions-on-sale"), " ",
                                tr_count("shop.home.on_sale", HomeState.sessions_on_sale), size="5", color="white"),
                        rx.skeleton(rx.text("00 ", tr_count("shop.home.on_sale", 2), size="5"), loading=True,
                                    id="sessions-skeleton"),
                    ),
                    wrap="wrap",
                ),
                rx.link(rx.button(tr("shop.home.cta"), size="3", color_scheme="gray", variant="solid",
                                  high_contrast=True, tab_index=-1),
                        href="/billetterie", id="home-cta"),
                spacing="4",
                padding="2rem",
            ),
            background="linear-gradient(120deg,#0b1f4b 0%,#1e3a8a 60%,#1d4ed8 100%)",
            border_radius="12px",
        ),
        rx.heading(tr("shop.home.by_sport"), as_="h2", size="5", margin_top="2rem", margin_bottom="0.75rem"),
        rx.flex(rx.foreach(HomeState.sports, _sport_chip), wrap="wrap", gap="0.5rem", id="home-sports"),
        rx.heading(tr("shop.home.upcoming"), as_="h2", size="5", margin_top="2rem", margin_bottom="0.75rem"),
        rx.grid(rx.foreach(HomeState.upcoming, event_card), columns=GRID_COLUMNS, gap="1rem", width="100%",
                id="home-upcoming"),
        rx.link(tr("shop.home.all"), href="/billetterie", color=BLUE, margin_top="1rem", display="inline-block"),
        rx.heading(tr("shop.home.offers_title"), as_="h2", size="5", margin_top="2rem", margin_bottom="0.75rem"),
        rx.flex(
            *(rx.card(rx.text(tr(key), weight="bold"), flex="1", min_width="12rem")
              for key in ("shop.home.offer_solo", "shop.home.offer_duo", "shop.home.offer_family")),
            gap="1rem", wrap="wrap",
        ),
    )


# ------------------------------------------------------------------ catalogue

def _labelled(label_key: str, control: rx.Component, control_id: str) -> rx.Component:
    return rx.vstack(rx.el.label(tr(label_key), html_for=control_id, font_size="0.9rem", font_weight="500"),
                     control, spacing="1", min_width="10rem", flex="1")


def _native_select(control_id: str, value: rx.Var, name: str, options: Any, all_key: str) -> rx.Component:
    """A native <select> (keyboard and screen-reader friendly, labelled by its <label>)."""
    return rx.el.select(
        rx.el.option(tr(all_key), value=""),
        options,
        id=control_id,
        value=value,
        on_change=lambda v: ShopState.set_filter(name, v),
        style={"height": "2.25rem", "border": "1px solid #6b7280", "border_radius": "6px", "padding": "0 0.5rem",
               "background": "white", "color": "#111827", "width": "100%"},
    )


# Phone: the filter menus fold behind a button so the results are on the first screen; desktop shows them all.
FILTERS_CSS = """
section .jo-filters-toggle { display: none !important; }
@media (max-width: 47.99em) {
  section .jo-filters-toggle { display: inline-flex !important; }
  section .jo-filter-menus[data-open=false] { display: none !important; }
}
"""


def _filters() -> rx.Component:
    type_options = [rx.el.option(tr(f"shop.type.{t}"), value=t) for t in ("solo", "duo", "family")]
    date_style = {"height": "2.25rem", "border": "1px solid #6b7280", "border_radius": "6px",
                  "padding": "0 0.5rem", "width": "100%"}
    return rx.el.section(
        rx.heading(tr("shop.filter.title"), as_="h2", size="4", class_name="jo-sr-only"),
        rx.form(
            rx.hstack(
                _labelled("shop.filter.search", rx.input(
                    name="q", id="filter-text", default_value=ShopState.search_text, key=ShopState.search_text,
                    type="search",
                    placeholder=tr("shop.filter.search_placeholder"), size="2", width="100%"), "filter-text"),
                rx.button(tr("shop.filter.search_button"), type="submit", id="filter-search", size="2", style=PRIMARY),
                align="end", width="100%",
            ),
            on_submit=ShopState.search,
            width="100%",
        ),
        rx.button(
            rx.icon("sliders-horizontal", size=16, aria_hidden="true"), tr("shop.filter.more"),
            rx.cond(ShopState.menu_filters > 0, rx.badge(ShopState.menu_filters, variant="solid", radius="full")),
            on_click=ShopState.toggle_filters, type="button", variant="outline", size="2", margin_top="0.75rem",
            id="filters-toggle", class_name="jo-filters-toggle",
            aria_expanded=rx.cond(ShopState.filters_open, "true", "false"), aria_controls="filter-menus",
        ),
        rx.flex(
            _labelled("shop.filter.offer_type", _native_select(
                "filter-type", ShopState.offer_type, "offer_type", type_options, "shop.filter.all_types"),
                "filter-type"),
            _labelled("shop.filter.sport", _native_select(
                "filter-sport", ShopState.sport, "sport",
                rx.foreach(CatalogueState.sports, lambda s: rx.el.option(s, value=s)), "shop.filter.all"),
                "filter-sport"),
            _labelled("shop.filter.venue", _native_select(
                "filter-venue", ShopState.venue, "venue",
                rx.foreach(CatalogueState.venues, lambda v: rx.el.option(v, value=v)), "shop.filter.all"),
                "filter-venue"),
            _labelled("shop.filter.date_from", rx.el.input(
                type="date", id="filter-date-from", value=ShopState.date_from, style=date_style,
                on_change=lambda v: ShopState.set_filter("date_from", v)), "filter-date-from"),
            _labelled("shop.filter.date_to", rx.el.input(
                type="date", id="filter-date-to", value=ShopState.date_to, style=date_style,
                on_change=lambda v: ShopState.set_filter("date_to", v)), "filter-date-to"),
            gap="0.75rem", wrap="wrap", width="100%", margin_top="0.75rem", id="filter-menus",
            class_name="jo-filter-menus", custom_attrs={"data-open": rx.cond(ShopState.filters_open, "true", "false")},
        ),
        rx.cond(ShopState.has_filters,
                rx.button(tr("shop.filter.reset"), on_click=ShopState.reset_filters, variant="ghost", size="2",
                          margin_top="0.5rem", id="filter-reset")),
        padding="1rem", border="1px solid #d0d7e2", border_radius="10px", background="#f8fafc",
        margin_bottom="1rem", aria_label=tr("shop.filter.title"),
    )


def catalogue() -> rx.Component:
    # Without filters the page shows the catalogue pushed to every catalogue page (CatalogueState), with filters the
    # results of its own search (ShopState.events).
    results = rx.cond(ShopState.has_filters, ShopState.events, CatalogueState.events)
    return page_shell(
        rx.el.style(SR_ONLY_CSS + FILTERS_CSS),
        rx.text(tr("shop.catalogue.intro"), color=MUTED, margin_bottom="1rem"),
        _filters(),
        rx.cond(
            rx.cond(ShopState.has_filters, ShopState.loaded, CatalogueState.loaded),
            rx.fragment(
                rx.text(tr_count("shop.results", results.length()), color=MUTED, size="2",
                        id="results-count", role="status", margin_bottom="0.5rem"),
                rx.cond(
                    ShopState.date_range_reversed,
                    rx.callout(tr("shop.filter.reversed_dates"), icon="triangle_alert", color_scheme="orange",
                               role="alert", id="date-range-error"),
                    rx.cond(results.length() == 0,
                            rx.callout(tr("shop.no_results"), icon="info", id="no-results")),
                ),
                rx.grid(rx.foreach(results, event_card), columns=GRID_COLUMNS, gap="1rem", width="100%",
                        id="catalogue-results"),
            ),
            # Until the first answer: placeholders, never a "0 sessions" that is not true.
            rx.grid(*(rx.skeleton(rx.box(height="18rem"), loading=True) for _ in range(3)), columns=GRID_COLUMNS,
                    gap="1rem", width="100%", id="catalogue-skeleton", aria_busy="true"),
        ),
        title_key="shop.catalogue.title",
    )


# ------------------------------------------------------------------ session page

def _pack(offer: Any) -> rx.Component:
    info = EventPageState.info
    seats = live_seats(info["key"].to(str), info["seats_left"])
    offer_id = offer["id"].to(str)
    qty_id = "qty-" + offer_id
    enough = seats >= offer["persons"].to(int)
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(type_label(offer["offer_type"]), as_="h3", size="4"),
                rx.badge(trv("shop.persons", n=offer["persons"]), variant="soft", high_contrast=True),
                rx.spacer(),
                rx.text(loc(offer, "price"), weight="bold", size="5"),
                width="100%", align="center", wrap="wrap",
            ),
            rx.cond(offer["description"] != "", rx.text(offer["description"], size="2", color=MUTED)),
            rx.cond(
                info["on_sale"].to(bool),
                rx.cond(
                    enough,
                    rx.hstack(
                        rx.el.label(tr("shop.event.quantity"), html_for=qty_id, font_size="0.9rem"),
                        rx.el.select(
                            rx.foreach(rx.Var.range(1, EventPageState.max_packs + 1),
                                       lambda n: rx.el.option(n, value=n.to(str))),
                            id=qty_id,
                            value=EventPageState.quantities[offer_id].to(str),
                            on_change=lambda v: EventPageState.set_quantity(offer_id, v),
                            aria_label=trv("shop.event.quantity_for", title=offer["title"]),
                            style={"height": "2.25rem", "border": "1px solid #6b7280", "border_radius": "6px",
                                   "padding": "0 0.5rem", "background": "white"},
                        ),
                        rx.button(
                            rx.icon("shopping-cart", size=16, aria_hidden="true"), tr("shop.event.add"),
                            on_click=EventPageState.add_to_cart(offer_id),
                            id="add-" + offer_id, style=PRIMARY,
                            custom_attrs={"data-testid": "add-to-cart"},
                        ),
                        align="center", spacing="3", wrap="wrap",
                    ),
                    rx.text(tr("shop.pack_unavailable"), color=RED_TEXT, weight="medium"),
                ),
                rx.text(tr("shop.event.past"), color=MUTED),
            ),
            rx.cond(
                (CartState.added_offer_id == offer["id"].to(int)) & (CartState.error_code == ""),
                rx.hstack(rx.text(tr("shop.event.added"), color="#166534", role="status"),
                          rx.link(tr("shop.event.go_cart"), href="/panier", id="go-cart"), spacing="2",
                          id="added-" + offer_id),
            ),
            rx.cond(
                (CartState.error_offer_id == offer["id"].to(int)) & (CartState.error_code != ""),
                rx.text(tr_var(CartState.error_code), color=RED_TEXT, role="alert", id="add-error-" + offer_id),
            ),
            spacing="2", width="100%",
        ),
        width="100%",
        custom_attrs={"data-testid": "pack", "data-offer-type": offer["offer_type"]},
    )


def session_page() -> rx.Component:
    info = EventPageState.info
    return page_shell(
        rx.el.style(SR_ONLY_CSS),
        rx.link("← ", tr("shop.event.back"), href="/billetterie", color=BLUE),
        rx.cond(
            EventPageState.not_found,
            rx.callout(tr("shop.event.not_found"), icon="info", margin_top="1rem", id="event-not-found"),
            rx.cond(
                info.contains("id"),
                rx.flex(
                    rx.box(
                        event_image(info, radius="10px"),
                        rx.vstack(
                            rx.text(info["sport"], color=BLUE, weight="bold"),
                            rx.heading(info["title"], as_="h1", size="7", id="page-title"),
                            rx.text(rx.text.strong(tr("shop.event.when"), ": "), loc(info, "date")),
                            rx.text(rx.text.strong(tr("shop.event.where"), ": "), info["venue"], ", ", info["city"]),
                            seats_badge(info),
                            rx.text(info["description"], color=MUTED),
                            spacing="2", padding_y="1rem",
                        ),
                        flex="1", min_width="min(100%, 20rem)",
                    ),
                    rx.vstack(
                        rx.heading(tr("shop.event.packs"), as_="h2", size="5"),
                        rx.foreach(info["offers"].to(list[dict[str, Any]]), _pack),
                        rx.text(trv("shop.event.limit", n=EventPageState.max_packs), size="2", color=MUTED),
                        rx.cond(~AuthState.is_authenticated,
                                rx.text(tr("shop.event.login_to_buy"), size="2", color=MUTED)),
                        spacing="3", flex="1", min_width="min(100%, 20rem)",
                    ),
                    gap="1.5rem", wrap="wrap", margin_top="1rem",
                ),
                rx.spinner(margin="2rem"),
            ),
        ),
    )
