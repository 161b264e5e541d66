"""/admin/evenements: events list, event form (create / edit, image), offers of the selected event."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jo_app.components.forms import field_error
from jo_app.i18n import num, tr
from jo_app.pages.admin_components import MUTED, NATIVE_SELECT, admin_shell, label, loc, notices, status_badge
from jo_app.state.catalog.admin import AdminCatalogState as S

ACCEPT = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"]}


def _input(name: str, label_key: str, errors: rx.Var, default: rx.Var, *, prefix: str, type_: str = "text",
           error_name: str | None = None, **props: Any) -> rx.Component:
    field_id = f"{prefix}-{name}"
    error = errors.get(error_name or name, "").to(str)
    return rx.box(
        label(label_key, field_id),
        rx.input(id=field_id, name=name, type=type_, default_value=default.to(str), size="2", width="100%",
                 aria_invalid=rx.cond(error, "true", "false"), aria_describedby=f"{field_id}-error", **props),
        field_error(error, field_id),
        width="100%",
    )


def _textarea(name: str, label_key: str, errors: rx.Var, default: rx.Var, *, prefix: str) -> rx.Component:
    field_id = f"{prefix}-{name}"
    error = errors.get(name, "").to(str)
    return rx.box(label(label_key, field_id),
                  rx.text_area(id=field_id, name=name, default_value=default.to(str), rows="3", width="100%",
                               aria_invalid=rx.cond(error, "true", "false"), aria_describedby=f"{field_id}-error"),
                  field_error(error, field_id),
                  width="100%")


def _published_box(default: rx.Var, field_id: str) -> rx.Component:
    return rx.el.label(
        rx.el.input(type="checkbox", name="is_published", id=field_id, default_checked=default.to(bool),
                    style={"width": "1.1rem", "height": "1.1rem"}),
        rx.text(tr("admin.field.published"), as_="span"),
        html_for=field_id, style={"display": "flex", "gap": "0.5rem", "alignItems": "center"},
    )


def _image_picker(which: str, current: rx.Var, handler) -> rx.Component:
    upload_id = f"{which}-image-upload"
    return rx.box(
        rx.text(tr("admin.field.image"), weight="bold", size="2"),
        rx.flex(
            rx.cond(current != "",
                    rx.image(src=current, alt=tr("admin.image_preview"), height="4rem", border_radius="6px",
                             id=f"{which}-image-preview"),
                    rx.text(tr("admin.no_image"), size="2", color=MUTED)),
            rx.upload(
                rx.button(rx.icon("image-up", size=16), tr("admin.choose_image"), type="button", variant="soft",
                          size="2"),
                id=upload_id, accept=ACCEPT, max_files=1, multiple=False, no_drag=False,
                on_drop=handler(rx.upload_files(upload_id=upload_id)),
                border="1px dashed #9ca3af", padding="0.4rem", border_radius="8px",
            ),
            rx.cond(current != "", rx.button(tr("admin.remove_image"), type="button", variant="ghost", size="1",
                                             on_click=S.remove_image(which))),
            gap="0.75rem", align="center", wrap="wrap",
        ),
        rx.text(tr("admin.image_rules"), size="1", color=MUTED),
        width="100%",
    )


def event_form() -> rx.Component:
    f, e = S.event_form, S.event_errors
    return rx.card(
        rx.heading(rx.cond(S.selected_id > 0, tr("admin.event.edit"), tr("admin.event.new")), as_="h2", size="4",
                   margin_bottom="0.75rem", id="event-form-title"),
        rx.form(
            rx.grid(
                _input("title", "admin.field.title", e, f["title"], prefix="ev", required=True),
                _input("sport", "admin.field.sport", e, f["sport"], prefix="ev", required=True),
                _input("venue", "admin.field.venue", e, f["venue"], prefix="ev", required=True),
                _input("city", "admin.field.city", e, f["city"], prefix="ev"),
                _input("starts_at", "admin.field.starts_at", e, f["starts_at"], prefix="ev", type_="datetime-local",
                       required=True),
                _input("capacity", "admin.field.capacity", e, f["capacity"], prefix="ev", type_="number",
                       min="0", step="1", required=True),
                columns={"initial": "1", "md": "2"}, gap="0.75rem", width="100%",
            ),
            rx.cond(S.selected_id > 0,
                    rx.text(tr("admin.event.sold_hint"), " ", S.selected_sold.to_string(), size="1", color=MUTED),
                    rx.fragment()),
            _textarea("description", "admin.field.description", e, f["description"], prefix="ev"),
            _published_box(f["is_published"], "ev-published"),
            rx.flex(
                rx.button(rx.cond(S.selected_id > 0, tr("admin.save"), tr("admin.create")), type="submit",
                          loading=S.busy, id="event-submit"),
                rx.button(tr("admin.event.new"), type="button", variant="soft", on_click=S.new_event,
                          id="event-new"),
                gap="0.75rem", margin_top="0.75rem",
            ),
            on_submit=S.save_event, reset_on_submit=False, key=S.event_form_key, id="event-form", width="100%",
        ),
        rx.box(_image_picker("event", S.event_image_url, S.upload_event_image), margin_top="0.75rem"),
        field_error(S.event_errors.get("image", "").to(str), "event-image"),
        width="100%",
    )


def _row_actions(kind: str, row: Any, edit, set_published, delete) -> rx.Component:
    """Edit, publish/unpublish and delete (asked twice) buttons of an event or offer row (ids `<kind>-edit-<id>`...)."""
    rid = row["id"].to_string()
    delete_key = kind + ":" + rid
    return rx.table.cell(rx.flex(
        rx.button(tr("admin.edit"), size="1", variant="soft", on_click=edit(row["id"]), id=f"{kind}-edit-" + rid),
        rx.cond(row["is_published"],
                rx.button(tr("admin.unpublish"), size="1", variant="soft", color_scheme="gray",
                          on_click=set_published(row["id"], False), id=f"{kind}-unpublish-" + rid),
                rx.button(tr("admin.publish"), size="1", variant="soft", color_scheme="green",
                          on_click=set_published(row["id"], True), id=f"{kind}-publish-" + rid)),
        rx.cond(S.confirm_delete == delete_key,
                rx.button(tr("admin.confirm_delete"), size="1", color_scheme="red",
                          on_click=delete(row["id"]), id=f"{kind}-confirm-delete-" + rid),
                rx.button(tr("admin.delete"), size="1", variant="soft", color_scheme="red",
                          on_click=S.ask_delete(delete_key), id=f"{kind}-delete-" + rid)),
        gap="0.4rem", wrap="wrap",
    ))


def _event_row(event: Any) -> rx.Component:
    eid = event["id"].to_string()
    return rx.table.row(
        rx.table.cell(rx.link(event["title"], href="#event-form", on_click=S.select_event(event["id"]),
                              weight="bold", id="event-title-" + eid),
                      rx.text(event["sport"], " · ", event["venue"], size="1", color=MUTED)),
        rx.table.cell(loc(event, "date")),
        rx.table.cell(num(event["seats_sold"]), " / ", num(event["capacity"])),
        rx.table.cell(event["offers"].to_string()),
        rx.table.cell(status_badge(event["is_published"])),
        _row_actions("event", event, S.select_event, S.set_event_published, S.delete_event),
        id="event-row-" + eid,
    )


def events_table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(
                *(rx.table.column_header_cell(tr(k)) for k in (
                    "admin.col.event", "admin.col.date", "admin.col.sold", "admin.col.offers", "admin.col.status",
                    "admin.col.actions")))),
            rx.table.body(rx.foreach(S.events, _event_row)),
            variant="surface", size="1", width="100%", id="events-table",
        ),
        overflow_x="auto", width="100%",
    )


def offer_form() -> rx.Component:
    f, e = S.offer_form, S.offer_errors
    return rx.form(
        rx.heading(rx.cond(S.editing_offer_id > 0, tr("admin.offer.edit"), tr("admin.offer.new")), as_="h3",
                   size="3", margin_bottom="0.5rem"),
        rx.grid(
            _input("title", "admin.field.title", e, f["title"], prefix="of", required=True),
            rx.box(
                label("admin.field.offer_type", "of-offer_type"),
                rx.el.select(
                    rx.el.option(tr("shop.type.solo"), value="solo"),
                    rx.el.option(tr("shop.type.duo"), value="duo"),
                    rx.el.option(tr("shop.type.family"), value="family"),
                    name="offer_type", id="of-offer_type", default_value=f["offer_type"].to(str),
                    style=NATIVE_SELECT,
                ),
                field_error(e.get("offer_type", "").to(str), "of-offer_type"),
            ),
            _input("price", "admin.field.price", e, f["price"], prefix="of", error_name="price_cents",
                   input_mode="decimal", required=True),
            columns={"initial": "1", "md": "3"}, gap="0.75rem", width="100%",
        ),
        _textarea("description", "admin.field.description", e, f["description"], prefix="of"),
        _published_box(f["is_published"], "of-published"),
        rx.flex(
            rx.button(rx.cond(S.editing_offer_id > 0, tr("admin.save"), tr("admin.offer.add")), type="submit",
                      id="offer-submit"),
            rx.cond(S.editing_offer_id > 0,
                    rx.button(tr("common.cancel"), type="button", variant="soft", on_click=S.new_offer),
                    rx.fragment()),
            gap="0.75rem", margin_top="0.5rem",
        ),
        on_submit=S.save_offer, reset_on_submit=False, key=S.offer_form_key, id="offer-form", width="100%",
    )


def _offer_row(offer: Any) -> rx.Component:
    oid = offer["id"].to_string()
    return rx.table.row(
        rx.table.cell(offer["title"]),
        rx.table.cell(offer["offer_type"], " (", offer["persons"].to_string(), ")"),
        rx.table.cell(loc(offer, "price")),
        rx.table.cell(status_badge(offer["is_published"])),
        _row_actions("offer", offer, S.edit_offer, S.set_offer_published, S.delete_offer),
        id="offer-row-" + oid,
    )


def offers_panel() -> rx.Component:
    return rx.cond(
        S.selected_id > 0,
        rx.card(
            rx.heading(tr("admin.offers_of"), " ", S.selected_title, as_="h2", size="4", margin_bottom="0.5rem",
                       id="offers-title"),
            rx.cond(S.offers.length() > 0,
                    rx.box(rx.table.root(
                        rx.table.header(rx.table.row(*(rx.table.column_header_cell(tr(k)) for k in (
                            "admin.col.offer", "admin.col.type", "admin.col.price", "admin.col.status",
                            "admin.col.actions")))),
                        rx.table.body(rx.foreach(S.offers, _offer_row)),
                        variant="surface", size="1", width="100%", id="offers-table"), overflow_x="auto"),
                    rx.text(tr("admin.no_offers"), color=MUTED)),
            rx.divider(margin_y="0.75rem"),
            offer_form(),
            rx.box(_image_picker("offer", S.offer_image_url, S.upload_offer_image), margin_top="0.75rem"),
            width="100%", id="offers-panel",
        ),
        rx.fragment(),
    )


def catalog_page() -> rx.Component:
    return admin_shell(
        notices(S),
        rx.grid(
            rx.vstack(event_form(), offers_panel(), spacing="4", width="100%"),
            rx.box(rx.heading(tr("admin.events"), as_="h2", size="4", margin_bottom="0.5rem"), events_table(),
                   width="100%"),
            columns={"initial": "1", "xl": "2"}, gap="1.25rem", width="100%",
        ),
        title_key="admin.catalog.title",
        active="catalog",
    )
