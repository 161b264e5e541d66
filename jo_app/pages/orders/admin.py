"""/admin/commandes: search, detail and cancellation with refund."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jo_app.i18n import tr
from jo_app.pages.admin_components import MUTED, NATIVE_SELECT, admin_shell, label, loc, notices
from jo_app.state.orders.admin import AdminOrdersState as S


def _status(status: rx.Var) -> rx.Component:
    return rx.match(
        status,
        ("paid", rx.badge(tr("orders.status.paid"), color_scheme="green", high_contrast=True)),
        ("cancelled", rx.badge(tr("orders.status.cancelled"), color_scheme="red", high_contrast=True)),
        rx.badge(status, color_scheme="gray", high_contrast=True),
    )


def search_form() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.box(label("admin.orders.query", "orders-q"),
                   rx.input(id="orders-q", name="q", default_value=S.query,
                            placeholder=tr("admin.orders_search_placeholder"), width="100%"),
                   flex="2", min_width="14rem"),
            rx.box(label("admin.orders.event", "orders-event"),
                   rx.el.select(
                       rx.el.option(tr("admin.all_events"), value=""),
                       rx.foreach(S.event_choices, lambda c: rx.el.option(c["title"], value=c["id"])),
                       name="event", id="orders-event", style=NATIVE_SELECT),
                   flex="2", min_width="14rem"),
            rx.button(rx.icon("search", size=16), tr("admin.search"), type="submit", id="orders-search"),
            gap="0.75rem", align="end", wrap="wrap", width="100%",
        ),
        on_submit=S.search, reset_on_submit=False, width="100%", margin_bottom="1rem",
    )


def _result_row(order: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(order["reference"], href="#order-detail", on_click=S.open_order(order["reference"]),
                              weight="bold", custom_attrs={"data-testid": "admin-order-link"})),
        rx.table.cell(order["email"]),
        rx.table.cell(loc(order, "created")),
        rx.table.cell(order["packs"].to_string() + " / " + order["persons"].to_string()),
        rx.table.cell(loc(order, "total")),
        rx.table.cell(_status(order["status"])),
        id="order-row-" + order["reference"].to(str),
    )


def results() -> rx.Component:
    return rx.cond(
        S.results.length() > 0,
        rx.box(rx.table.root(
            rx.table.header(rx.table.row(*(rx.table.column_header_cell(tr(k)) for k in (
                "admin.col.reference", "admin.col.email", "admin.col.date", "admin.col.packs_persons",
                "admin.col.total", "admin.col.status")))),
            rx.table.body(rx.foreach(S.results, _result_row)),
            variant="surface", size="1", width="100%", id="orders-results"), overflow_x="auto", width="100%"),
        rx.cond(S.searched, rx.text(tr("admin.no_results"), color=MUTED, id="orders-none"), rx.fragment()),
    )


def detail() -> rx.Component:
    o = S.order
    return rx.cond(
        S.order.contains("reference"),
        rx.card(
            rx.flex(rx.heading(tr("admin.order"), " ", o["reference"], as_="h2", size="4"), _status(o["status"]),
                    rx.spacer(), rx.button(tr("admin.close"), variant="ghost", on_click=S.close_order),
                    gap="0.75rem", align="center", width="100%"),
            rx.text(o["email"], " · ", loc(o, "created"), " · ", loc(o, "total"), color=MUTED, size="2"),
            rx.heading(tr("admin.lines"), as_="h3", size="3", margin_top="0.75rem"),
            rx.el.ul(rx.foreach(o["lines"].to(list[dict[str, Any]]), lambda line: rx.el.li(
                line["quantity"].to_string(), " x ", line["offer_title"], " — ", line["event_title"], " (",
                loc(line, "date"), ") — ", loc(line, "line_total")))),
            rx.heading(tr("admin.tickets"), as_="h3", size="3", margin_top="0.75rem"),
            rx.el.ul(rx.foreach(o["tickets"].to(list[dict[str, Any]]), lambda t: rx.el.li(
                t["number"], " — ", tr("admin.persons_short", n=t["persons"].to_string()), " — ", t["status"],
                rx.cond(t["used_gate"] != "", rx.text.span(" (", t["used_gate"], ", ", loc(t, "used_at"), ")"),
                        rx.fragment()),
                custom_attrs={"data-testid": "admin-ticket"}))),
            rx.cond(
                o["status"] == "paid",
                rx.cond(
                    S.confirm_cancel,
                    rx.form(
                        rx.callout(tr("admin.cancel_warning"), color_scheme="orange", icon="triangle-alert"),
                        rx.cond(
                            o["used_count"].to(int) > 0,
                            rx.callout(tr("admin.cancel_used_warning"), color_scheme="red", icon="octagon-alert",
                                       id="cancel-used-warning", margin_top="0.5rem"),
                            rx.fragment(),
                        ),
                        label("admin.cancel_reason", "cancel-reason"),
                        rx.input(id="cancel-reason", name="reason", width="100%", max_length=500),
                        rx.cond(
                            o["used_count"].to(int) > 0,
                            rx.el.label(
                                rx.el.input(type="checkbox", name="override_used", id="cancel-override-used"),
                                " ", tr("admin.cancel_override"),
                                html_for="cancel-override-used", display="flex", gap="0.4rem",
                                align_items="center", margin_top="0.5rem",
                            ),
                            rx.fragment(),
                        ),
                        rx.button(tr("admin.confirm_cancel"), color_scheme="red", type="submit",
                                  id="order-confirm-cancel", margin_top="0.5rem"),
                        on_submit=S.cancel_order, width="100%", margin_top="0.75rem",
                    ),
                    rx.button(tr("admin.cancel_order"), color_scheme="red", variant="soft", on_click=S.ask_cancel,
                              id="order-cancel", margin_top="0.75rem"),
                ),
                rx.fragment(),
            ),
            width="100%", id="order-detail",
        ),
        rx.fragment(),
    )


def orders_page() -> rx.Component:
    return admin_shell(notices(S), search_form(), detail(), rx.box(height="1rem"), results(),
                       title_key="admin.orders.title", active="orders")
