"""UI pieces shared by the shop pages: localized labels, live seats badge, event cards, messages."""

from __future__ import annotations

import re
from typing import Any

import reflex as rx

from jo_app.i18n import CATALOGUE, LangState, num, tr, tr_count, tr_var
from jo_app.state.catalog.stock import StockState

INK = "#111827"
MUTED = "#374151"  # 10:1 on white
BLUE = "#1d4ed8"
RED_TEXT = "#b91c1c"  # 6.5:1 on white
# Solid buttons: white on #1d4ed8 is 6.7:1 (the theme's default blue 9 with white text is only ~3.3:1).
PRIMARY = {"background_color": BLUE, "color": "white", "_hover": {"background_color": "#1e40af"},
           "_disabled": {"background_color": "#6b7280", "color": "white", "cursor": "not-allowed"}}


def _fill(template: str, values: dict[str, Any]) -> Any:
    parts = re.split(r"\{(\w+)\}", template)
    result: Any = rx.Var.create("")
    for index, part in enumerate(parts):
        if index % 2:
            value = values[part]
            result = result + (value.to(str) if isinstance(value, rx.Var) else str(value))
        elif part:
            result = result + part
    return result


def trv(key: str, **values: Any) -> rx.Var:
    """Like `i18n.tr` with Var placeholders, but inserting string Vars as is (no JSON quotes)."""
    entry = CATALOGUE[key]
    return rx.cond(LangState.current_lang == "en", _fill(entry["en"], values), _fill(entry["fr"], values))


def loc(row: Any, name: str) -> rx.Var:
    """`row[name_fr]` or `row[name_en]` by the current language (rows carry both)."""
    return rx.cond(LangState.current_lang == "en", row[f"{name}_en"], row[f"{name}_fr"])


def live_seats(key: rx.Var, fallback: rx.Var) -> rx.Var:
    """Seats left of an event from the shared live stock (`key` = event id as str), else the loaded figure."""
    key = key.to(str)
    # Not `.get(key, fallback)`: it compiles to a truthiness test, and 0 seats left must not fall back.
    return rx.cond(StockState.seats_left.contains(key), StockState.seats_left[key], fallback).to(int)


def type_label(offer_type: rx.Var) -> rx.Component:
    return rx.match(offer_type, ("solo", tr("shop.type.solo")), ("duo", tr("shop.type.duo")),
                    ("family", tr("shop.type.family")), offer_type)


def seats_badge(event: Any) -> rx.Component:
    """"N places restantes" / "Complet", live; id seats-left-<event id> holds the bare number."""
    seats = live_seats(event["key"], event["seats_left"])
    return rx.cond(
        seats > 0,
        rx.badge(
            rx.text(num(seats), as_="span", id="seats-left-" + event["key"].to(str),
                    custom_attrs={"data-testid": "seats-left", "data-seats": seats.to(str)}),
            " ", tr_count("shop.seats_left", seats),
            color_scheme="green", variant="soft", size="2", high_contrast=True,
        ),
        rx.badge(
            rx.text("0", as_="span", id="seats-left-" + event["key"].to(str), class_name="jo-sr-only"),
            tr("shop.sold_out"), color_scheme="red", variant="solid", size="2", high_contrast=True,
            id="sold-out-" + event["key"].to(str), custom_attrs={"data-testid": "sold-out"},
        ),
    )


def event_image(event: Any, radius: str = "8px 8px 0 0") -> rx.Component:
    """The sport illustration (16:9, never cropped)."""
    return rx.cond(
        event["image"] != "",
        rx.image(src=event["image"], alt=trv("shop.event.image_alt", sport=event["sport"]), width="100%",
                 height="auto", aspect_ratio="16 / 9", object_fit="cover", border_radius=radius,
                 display="block"),
        rx.box(width="100%", aspect_ratio="16 / 9", background="linear-gradient(135deg,#0b1f4b,#1d4ed8)",
               border_radius=radius, aria_hidden="true"),
    )


def price_row(offer: Any, event: Any) -> rx.Component:
    seats = live_seats(event["key"], event["seats_left"])
    return rx.hstack(
        rx.text(type_label(offer["offer_type"]), weight="bold", as_="span"),
        rx.text(trv("shop.persons", n=offer["persons"]), color=MUTED, size="2", as_="span"),
        rx.spacer(),
        rx.cond(
            seats >= offer["persons"].to(int),
            rx.text(loc(offer, "price"), weight="bold", as_="span"),
            rx.text(tr("shop.pack_unavailable"), color=RED_TEXT, size="2", as_="span"),
        ),
        width="100%", align="center",
    )


def event_card(event: Any) -> rx.Component:
    """A catalogue card: picture, title, date, venue, live seats, price per pack, link to the session page."""
    return rx.card(
        rx.link(
            rx.vstack(
                event_image(event),
                rx.vstack(
                    rx.text(event["sport"], size="2", color=BLUE, weight="bold"),
                    rx.heading(event["title"], as_="h3", size="4", color=INK),
                    rx.text(loc(event, "date"), size="2", color=MUTED),
                    rx.text(event["venue"], size="2", color=MUTED),
                    seats_badge(event),
                    rx.vstack(rx.foreach(event["offers"].to(list[dict[str, Any]]), lambda o: price_row(o, event)),
                              width="100%", spacing="1"),
                    rx.text(tr("shop.see_session"), color=BLUE, weight="medium", size="2",
                            text_decoration="underline"),
                    padding="0.9rem", spacing="2", width="100%",
                ),
                spacing="0", width="100%",
            ),
            href="/billetterie/" + event["key"].to(str),
            underline="none",
            color="inherit",
            aria_label=event["title"],
        ),
        padding="0",
        width="100%",
        custom_attrs={"data-testid": "event-card", "data-event-id": event["key"]},
    )


def field_error(key: rx.Var, field_id: str) -> rx.Component:
    """An inline error under a field (role=alert so screen readers announce it)."""
    return rx.cond(key != "", rx.text(tr_var(key), id=f"{field_id}-error", color=RED_TEXT, size="2",
                                      role="alert"))


def notice(key_or_text: Any, *, error: bool = False, testid: str = "notice") -> rx.Component:
    return rx.callout(key_or_text, icon="triangle_alert" if error else "info",
                      color_scheme="red" if error else "blue", role="alert" if error else "status",
                      custom_attrs={"data-testid": testid}, width="100%")


SR_ONLY_CSS = (".jo-sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;"
               "clip:rect(0,0,0,0);white-space:nowrap;border:0}")
