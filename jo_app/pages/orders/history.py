"""My orders (/commandes, /commandes/[reference]) and my tickets (/billets)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jo_app.components.layout import page_shell
from jo_app.i18n import tr, tr_count
from jo_app.pages.shop_components import BLUE, MUTED, SR_ONLY_CSS, loc, trv, type_label
from jo_app.pages.tickets.ownership import incoming_transfers, ownership_panel
from jo_app.state.orders.history import OrdersState


def _order_status(status: rx.Var) -> rx.Component:
    return rx.match(
        status,
        ("paid", rx.badge(tr("orders.status.paid"), color_scheme="green", high_contrast=True)),
        ("cancelled", rx.badge(tr("orders.status.cancelled"), color_scheme="red", high_contrast=True)),
        rx.badge(tr("orders.status.pending"), color_scheme="gray", high_contrast=True),
    )


def _order_row(order: Any) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.link(order["reference"], href="/commandes/" + order["reference"].to(str), weight="bold",
                        custom_attrs={"data-testid": "order-link"}),
                rx.text(loc(order, "created"), size="2", color=MUTED),
                rx.text(tr_count("orders.packs", order["packs"].to(int)), ", ",
                        tr_count("orders.persons", order["persons"].to(int)), size="2", color=MUTED),
                spacing="1", flex="1",
            ),
            rx.vstack(rx.text(loc(order, "total"), weight="bold"), _order_status(order["status"]),
                      align="end", spacing="1"),
            gap="1rem", width="100%",
        ),
        width="100%",
    )


def orders_page() -> rx.Component:
    return page_shell(
        rx.cond(
            OrdersState.order_list.length() > 0,
            rx.vstack(rx.foreach(OrdersState.order_list, _order_row), spacing="3", width="100%", id="orders-list"),
            rx.cond(OrdersState.loaded,
                    rx.vstack(rx.text(tr("orders.none"), id="orders-none"),
                              rx.link(tr("cart.browse"), href="/billetterie", color=BLUE)),
                    rx.spinner()),
        ),
        title_key="orders.title",
    )


# ------------------------------------------------------------------ tickets

def _ticket_status(ticket: Any) -> rx.Component:
    return rx.match(
        ticket["status"],
        ("valid", rx.badge(tr("tickets.status.valid"), color_scheme="green", size="3", high_contrast=True)),
        ("used", rx.badge(trv("tickets.status.used", when=loc(ticket, "used_at"), gate=ticket["used_gate"]),
                          color_scheme="gray", size="3", high_contrast=True)),
        rx.badge(tr("tickets.status.cancelled"), color_scheme="red", size="3", high_contrast=True),
    )


def _file_link(icon: str, label: Any, href: Any, testid: str) -> rx.Component:
    """A link to a file served by an HTTP route (PDF, .ics): a real document request, not a client-side route.

    `reload_document` keeps the router's click handler off the link, so the browser itself requests the URL with
    the session cookie and `download` saves the answer instead of showing the app's 404 page.
    """
    return rx.link(rx.icon(icon, size=16, aria_hidden="true"), label, href=href, reload_document=True,
                   download="", custom_attrs={"data-testid": testid},
                   display="inline-flex", align_items="center", gap="0.3rem")


def ticket_card(ticket: Any, extra: rx.Component | None = None) -> rx.Component:
    """One e-ticket: QR (from the authorised HTTP route), persons, status, PDF and calendar links (+ `extra`)."""
    return rx.card(
        rx.flex(
            rx.box(
                rx.image(src=ticket["qr_url"], alt=trv("tickets.qr_alt", number=ticket["number"]),
                         width="100%", height="auto", display="block",
                         style={"image_rendering": "pixelated", "background": "white"},
                         custom_attrs={"data-testid": "ticket-qr"}),
                opacity=rx.cond(ticket["status"] == "valid", "1", "0.35"),
                width="min(280px, 100%)", flex_shrink="0",
            ),
            rx.vstack(
                rx.text(ticket["sport"], color=BLUE, weight="bold", size="2"),
                rx.heading(ticket["event_title"], as_="h2", size="5"),
                rx.text(loc(ticket, "date"), " · ", ticket["venue"], color=MUTED),
                rx.text(type_label(ticket["offer_type"]), " — ", tr_count("tickets.admits", ticket["persons"].to(int)),
                        weight="bold", custom_attrs={"data-testid": "ticket-persons"}),
                rx.text(trv("tickets.holder", name=ticket["holder_name"]), size="2"),
                rx.text(trv("tickets.number", number=ticket["number"]), size="2", color=MUTED),
                rx.box(_ticket_status(ticket), custom_attrs={"data-testid": "ticket-status"}),
                rx.flex(
                    _file_link("download", tr("tickets.pdf"), ticket["pdf_url"], "ticket-pdf"),
                    _file_link("calendar-plus", tr("tickets.ics"), ticket["ics_url"], "ticket-ics"),
                    gap="1.25rem", wrap="wrap",
                ),
                rx.text(tr("tickets.hint"), size="1", color=MUTED),
                extra if extra is not None else rx.fragment(),
                spacing="2", flex="1", min_width="min(100%, 16rem)",
            ),
            gap="1.25rem", wrap="wrap", align="start",
        ),
        width="100%",
        id="ticket-" + ticket["id"].to(str),
        custom_attrs={"data-testid": "ticket-card", "data-ticket-id": ticket["id"].to(str),
                      "data-status": ticket["status"]},
    )


def tickets_page() -> rx.Component:
    return page_shell(
        rx.cond(
            OrdersState.tickets.length() > 0,
            rx.vstack(incoming_transfers(),
                      rx.foreach(OrdersState.tickets, lambda t: ticket_card(t, ownership_panel(t))),
                      spacing="4", width="100%", id="tickets-list"),
            rx.cond(OrdersState.loaded,
                    rx.vstack(rx.text(tr("tickets.none"), id="tickets-none"),
                              rx.link(tr("cart.browse"), href="/billetterie", color=BLUE)),
                    rx.spinner()),
        ),
        title_key="tickets.title",
    )


# ------------------------------------------------------------------ order detail

def _line(line: Any) -> rx.Component:
    return rx.hstack(
        rx.text(line["quantity"], " \u00d7 ", line["event_title"], " — ", type_label(line["offer_type"]), " (",
                loc(line, "date"), ")", size="2", flex="1"),
        rx.text(loc(line, "line_total"), size="2", weight="bold"),
        width="100%",
    )


def order_page() -> rx.Component:
    order = OrdersState.order
    return page_shell(
        rx.el.style(SR_ONLY_CSS),
        rx.cond(
            OrdersState.order_missing,
            rx.callout(tr("orders.not_found"), icon="info", id="order-not-found"),
            rx.cond(
                order.contains("reference"),
                rx.vstack(
                    rx.heading(trv("orders.detail_title", ref=order["reference"]), as_="h1", size="7",
                               id="page-title"),
                    rx.text(order["reference"], id="order-reference", class_name="jo-sr-only",
                            custom_attrs={"data-testid": "order-reference"}),
                    rx.cond(order["status"] == "paid",
                            rx.callout(tr("orders.confirmed"), icon="circle_check", color_scheme="green",
                                       id="order-confirmed", width="100%")),
                    rx.hstack(_order_status(order["status"]), rx.text(loc(order, "created"), color=MUTED),
                              align="center"),
                    rx.card(
                        rx.heading(tr("orders.lines"), as_="h2", size="4", margin_bottom="0.5rem"),
                        rx.foreach(order["lines"].to(list[dict[str, Any]]), _line),
                        rx.divider(margin_y="0.5rem"),
                        rx.hstack(rx.text(tr("orders.total"), weight="bold"), rx.spacer(),
                                  rx.text(loc(order, "total"), weight="bold", id="order-total"), width="100%"),
                        rx.cond(order["card_last4"] != "",
                                rx.text(trv("orders.paid_with", last4=order["card_last4"]), size="2", color=MUTED)),
                        width="100%",
                    ),
                    rx.heading(tr("orders.tickets"), as_="h2", size="5", margin_top="1rem"),
                    rx.foreach(order["tickets"].to(list[dict[str, Any]]), ticket_card),
                    rx.hstack(rx.link(tr("orders.all_tickets"), href="/billets", color=BLUE),
                              rx.link(tr("orders.title"), href="/commandes", color=BLUE), spacing="4"),
                    spacing="3", width="100%",
                ),
                rx.spinner(),
            ),
        ),
    )
