"""/admin/file-attente: create a queued on-sale, watch its live figures, pause, resume, change the rate, end it."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jo_app.i18n import tr
from jo_app.pages.admin_components import admin_shell, label, loc, notices
from jo_app.state.orders.admin_onsales import AdminOnsalesState

_BOX = {"border": "1px solid #9ca3af", "borderRadius": "6px", "padding": "0.4rem 0.5rem", "width": "100%",
        "minHeight": "2.5rem", "background": "#ffffff"}
_STATUS = {"scheduled": "blue", "running": "green", "paused": "amber", "closed": "gray"}


def _field(name: str, label_key: str, type_: str, **props: Any) -> rx.Component:
    field_id = f"onsale-{name}"
    return rx.box(label(label_key, field_id), rx.el.input(id=field_id, name=name, type=type_, style=_BOX, **props),
                  width="100%")


def _event_choice(event: Any) -> rx.Component:
    box_id = "onsale-event-" + event["id"].to(str)
    return rx.el.label(
        rx.el.input(type="checkbox", name="event_" + event["id"].to(str), id=box_id,
                    style={"width": "1.1rem", "height": "1.1rem", "flexShrink": "0"}),
        rx.text(event["title"], " — ", loc(event, "date"), as_="span", size="2"),
        html_for=box_id, style={"display": "flex", "gap": "0.5rem", "alignItems": "center", "padding": "0.2rem 0"},
    )


def _create_form() -> rx.Component:
    return rx.card(
        rx.heading(tr("admin.onsale.new"), as_="h2", size="4", margin_bottom="0.75rem"),
        rx.form(
            rx.grid(
                _field("name", "admin.onsale.name", "text", required=True, max_length=150),
                _field("opens_at", "admin.onsale.opens_at", "datetime-local", required=True),
                _field("rate", "admin.onsale.rate", "number", min=1, required=True, input_mode="numeric"),
                _field("pass_minutes", "admin.onsale.pass_minutes", "number", min=1, max=1440, default_value="15",
                       input_mode="numeric"),
                columns=rx.breakpoints(initial="1", sm="2"), gap="0.75rem", width="100%",
            ),
            rx.el.fieldset(
                rx.el.legend(tr("admin.onsale.events"), style={"fontWeight": "600"}),
                rx.box(rx.foreach(AdminOnsalesState.events, _event_choice), max_height="14rem", overflow_y="auto"),
                style={"border": "1px solid #d0d7e2", "borderRadius": "6px", "padding": "0.5rem 0.75rem",
                       "marginTop": "0.75rem"},
            ),
            rx.button(tr("admin.onsale.create"), type="submit", margin_top="0.75rem", id="onsale-create"),
            on_submit=AdminOnsalesState.create, reset_on_submit=False, key=AdminOnsalesState.form_key,
        ),
        width="100%", margin_bottom="1.25rem",
    )


def _figure(label_key: str, value: Any, testid: str) -> rx.Component:
    return rx.box(rx.text(tr(label_key), size="1"),
                  rx.text(value, size="5", weight="bold", custom_attrs={"data-testid": testid}),
                  min_width="7rem")


def _onsale(row: Any) -> rx.Component:
    oid = row["id"].to(str)
    status = row["status"].to(str)
    running = (status == "running") | (status == "scheduled")
    return rx.card(
        rx.flex(
            rx.heading(row["name"], as_="h3", size="4"),
            rx.badge(rx.match(status, ("scheduled", tr("admin.onsale.st_scheduled")),
                              ("running", tr("admin.onsale.st_running")), ("paused", tr("admin.onsale.st_paused")),
                              tr("admin.onsale.st_closed")),
                     color_scheme=rx.match(status, *(_STATUS.items()), "gray"), high_contrast=True,
                     custom_attrs={"data-testid": "onsale-status"}),
            gap="0.75rem", align="center", wrap="wrap",
        ),
        rx.text(tr("admin.onsale.opens"), " : ", loc(row, "opens"), " · ", row["events"], size="2"),
        rx.flex(
            _figure("admin.onsale.waiting", row["waiting"], "onsale-waiting"),
            _figure("admin.onsale.admitted", row["admitted"], "onsale-admitted"),
            _figure("admin.onsale.passes_used", row["passes_used"], "onsale-passes"),
            _figure("admin.onsale.held", row["held"], "onsale-held"),
            _figure("admin.onsale.sold", row["sold"], "onsale-sold"),
            _figure("admin.onsale.drain", row["drain_minutes"], "onsale-drain"),
            _figure("admin.onsale.rate", row["rate"], "onsale-rate"),
            gap="0.75rem", wrap="wrap", margin_y="0.75rem",
        ),
        rx.cond(
            status != "closed",
            rx.flex(
                rx.form(
                    rx.el.input(type="hidden", name="onsale_id", value=oid),
                    rx.flex(
                        rx.el.input(name="rate", type="number", min=1, input_mode="numeric", id="onsale-rate-" + oid,
                                    aria_label=tr("admin.onsale.rate"), placeholder=row["rate"].to(str),
                                    style={**_BOX, "width": "7rem"}),
                        rx.button(tr("admin.onsale.set_rate"), type="submit", variant="soft",
                                  id="onsale-set-rate-" + oid),
                        gap="0.5rem", align="center"),
                    on_submit=AdminOnsalesState.set_rate, reset_on_submit=True,
                ),
                rx.cond(running,
                        rx.button(tr("admin.onsale.pause"), variant="soft", color_scheme="amber",
                                  on_click=AdminOnsalesState.pause(row["id"]), id="onsale-pause-" + oid),
                        rx.button(tr("admin.onsale.resume"), variant="soft", color_scheme="green",
                                  on_click=AdminOnsalesState.resume(row["id"]), id="onsale-resume-" + oid)),
                rx.button(tr("admin.onsale.close"), variant="outline", color_scheme="red",
                          on_click=AdminOnsalesState.close(row["id"]), id="onsale-close-" + oid),
                gap="0.75rem", wrap="wrap", align="center",
            ),
        ),
        width="100%", custom_attrs={"data-onsale-id": oid},
    )


def onsales_page() -> rx.Component:
    return admin_shell(
        notices(AdminOnsalesState),
        rx.text(tr("admin.onsale.help"), size="2", margin_bottom="1rem"),
        _create_form(),
        rx.cond(AdminOnsalesState.onsales.length() > 0,
                rx.vstack(rx.foreach(AdminOnsalesState.onsales, _onsale), spacing="3", width="100%"),
                rx.text(tr("admin.onsale.none"), id="onsale-none")),
        title_key="admin.onsale.title", active="onsales",
    )
