"""/admin/revente: resale figures, and per session the resale switch, its fee and the static-QR switch."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jo_app.i18n import tr
from jo_app.pages.admin_components import admin_shell, loc, notices
from jo_app.state.tickets.admin import AdminOwnershipState

_CELL = {"padding": "0.5rem", "borderBottom": "1px solid #e5e7eb", "textAlign": "left", "verticalAlign": "middle"}


def _figure(label_key: str, value: Any, testid: str) -> rx.Component:
    return rx.card(rx.text(tr(label_key), size="2"), rx.text(value, size="6", weight="bold",
                                                             custom_attrs={"data-testid": testid}))


def _row(row: Any) -> rx.Component:
    eid = row["id"].to(str)
    return rx.el.tr(
        rx.el.td(rx.text(row["title"], weight="medium"), rx.text(loc(row, "date"), size="1"), style=_CELL),
        rx.el.td(
            rx.form(
                rx.el.input(type="hidden", name="event_id", value=eid),
                rx.flex(
                    rx.el.label(rx.el.input(type="checkbox", name="resale", default_checked=row["resale"].to(bool),
                                            id="own-resale-" + eid), " ", tr("admin.own.resale")),
                    rx.el.label(tr("admin.own.fee"), " ",
                                rx.el.input(name="fee_pct", default_value=row["fee_pct"].to(str), size=4,
                                            id="own-fee-" + eid, input_mode="decimal",
                                            style={"border": "1px solid #9ca3af", "borderRadius": "4px",
                                                   "padding": "0.2rem 0.4rem", "width": "4.5rem"}), " %"),
                    rx.el.label(rx.el.input(type="checkbox", name="static_qr",
                                            default_checked=row["static_qr"].to(bool), id="own-static-" + eid),
                                " ", tr("admin.own.static_qr")),
                    rx.button(tr("admin.own.save"), type="submit", size="1", id="own-save-" + eid),
                    gap="1rem", wrap="wrap", align="center",
                ),
                on_submit=AdminOwnershipState.save, reset_on_submit=False,
            ),
            style=_CELL,
        ),
        rx.el.td(row["listed"], style=_CELL, custom_attrs={"data-testid": "own-listed"}),
        custom_attrs={"data-event-id": eid},
    )


def ownership_admin_page() -> rx.Component:
    figures = AdminOwnershipState.figures
    return admin_shell(
        notices(AdminOwnershipState),
        rx.flex(_figure("admin.own.listed", figures["listed"], "own-fig-listed"),
                _figure("admin.own.sold", figures["sold"], "own-fig-sold"),
                _figure("admin.own.resold", loc(figures, "resold"), "own-fig-resold"),
                _figure("admin.own.fees", loc(figures, "fees"), "own-fig-fees"),
                gap="0.75rem", wrap="wrap", margin_bottom="1rem"),
        rx.text(tr("admin.own.help"), size="2", margin_bottom="0.75rem"),
        rx.box(rx.el.table(
            rx.el.thead(rx.el.tr(rx.el.th(tr("admin.own.session"), style=_CELL),
                                 rx.el.th(tr("admin.own.settings"), style=_CELL),
                                 rx.el.th(tr("admin.own.listed_persons"), style=_CELL))),
            rx.el.tbody(rx.foreach(AdminOwnershipState.sessions, _row)),
            style={"width": "100%", "borderCollapse": "collapse"},
        ), overflow_x="auto", width="100%"),
        title_key="admin.own.title", active="resale",
    )
