"""Cart (/panier) and checkout (/paiement) pages."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jo_app.components.layout import page_shell
from jo_app.i18n import LangState, tr, tr_count, tr_var
from jo_app.pages.shop_components import BLUE, MUTED, PRIMARY, RED_TEXT, SR_ONLY_CSS, field_error, loc, trv, type_label
from jo_app.state.orders.cart import CartState
from jo_app.state.orders.checkout import CheckoutState

SELECT_STYLE = {"height": "2.25rem", "border": "1px solid #6b7280", "border_radius": "6px", "padding": "0 0.5rem",
                "background": "white", "color": "#111827"}


AMBER_TEXT = "#92400e"


def _moments(expires: rx.Var, locale: str) -> rx.Component:
    """"in 14 minutes (at 21:05)": counted down in the browser (react-moment's timer), no server tick."""
    return rx.fragment(
        rx.moment(expires, from_now=True, interval=1000, locale=locale, custom_attrs={"data-testid": "hold-left"}),
        " (", tr("cart.hold.at"), " ", rx.moment(expires, format="HH:mm", local=True, locale=locale), ")",
    )


def hold_countdown(expires: rx.Var, element_id: str) -> rx.Component:
    """The seat hold's countdown (nothing when no seat is held)."""
    return rx.cond(
        expires != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("timer", aria_hidden="true")),
            rx.callout.text(tr("cart.hold.lead"), " ",
                            rx.cond(LangState.current_lang == "en", _moments(expires, "en"), _moments(expires, "fr")),
                            "."),
            color_scheme="blue", role="status", id=element_id, width="100%",
        ),
    )


def _hold_expired(line: Any, offer_id: rx.Var) -> rx.Component:
    return rx.cond(
        line["hold_expired"],
        rx.flex(
            rx.text(tr("cart.hold.expired"), color=AMBER_TEXT, size="2", custom_attrs={"data-testid": "hold-expired"}),
            rx.button(rx.icon("rotate-ccw", size=14, aria_hidden="true"), tr("cart.hold.retry"), size="1",
                      variant="soft", on_click=CartState.rehold(line["offer_id"]), id="rehold-" + offer_id,
                      aria_label=trv("cart.hold.retry_label", title=line["event_title"])),
            gap="0.5rem", align="center", wrap="wrap",
        ),
    )


def _cart_line(line: Any) -> rx.Component:
    offer_id = line["offer_id"].to(str)
    qty_id = "cart-qty-" + offer_id
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.link(line["event_title"], href="/billetterie/" + line["event_id"].to(str), weight="bold",
                        color="#111827"),
                rx.text(loc(line, "date"), " · ", line["venue"], size="2", color=MUTED),
                rx.text(type_label(line["offer_type"]), " — ", trv("shop.persons", n=line["persons"]), " — ",
                        loc(line, "unit"), size="2"),
                rx.cond(line["problem"] != "",
                        rx.text(tr_var("err." + line["problem"].to(str)), color=RED_TEXT, size="2",
                                role="alert", custom_attrs={"data-testid": "line-problem"})),
                _hold_expired(line, offer_id),
                spacing="1", flex="1", min_width="14rem",
            ),
            rx.hstack(
                rx.el.label(tr("cart.quantity"), html_for=qty_id, class_name="jo-sr-only"),
                rx.el.select(
                    rx.foreach(rx.Var.range(1, CartState.max_packs + 1), lambda n: rx.el.option(n, value=n.to(str))),
                    id=qty_id, value=line["quantity"].to(str), style=SELECT_STYLE,
                    aria_label=trv("cart.quantity_for", title=line["event_title"]),
                    on_change=lambda v: CartState.set_quantity(line["offer_id"], v),
                ),
                rx.text(loc(line, "line_total"), weight="bold", min_width="6rem", text_align="right"),
                rx.button(rx.icon("trash-2", size=16, aria_hidden="true"), tr("cart.remove"), variant="soft",
                          color_scheme="red", on_click=CartState.remove(line["offer_id"]),
                          aria_label=trv("cart.remove_label", title=line["event_title"]),
                          id="remove-" + offer_id),
                align="center", spacing="3", wrap="wrap",
            ),
            gap="1rem", wrap="wrap", align="center", width="100%",
        ),
        width="100%",
        custom_attrs={"data-testid": "cart-line", "data-offer-id": offer_id},
    )


def cart_page() -> rx.Component:
    return page_shell(
        rx.el.style(SR_ONLY_CSS),
        rx.cond(CartState.error_code != "",
                rx.callout(tr_var(CartState.error_code), icon="triangle_alert", color_scheme="red", role="alert",
                           id="cart-error", margin_bottom="1rem")),
        rx.cond(
            CartState.loaded,
            rx.cond(
                CartState.lines.length() > 0,
                rx.vstack(
                    hold_countdown(CartState.hold_expires_at, "cart-hold"),
                    rx.foreach(CartState.lines, _cart_line),
                    rx.hstack(
                        rx.text(tr_count("cart.persons_total", CartState.persons), color=MUTED),
                        rx.spacer(),
                        rx.text(tr("cart.total"), rx.cond(LangState.current_lang == "en", ": ", "\u00a0: "),
                                _total(CartState), size="5", weight="bold", id="cart-total"),
                        width="100%", align="center", wrap="wrap",
                    ),
                    rx.cond(~CartState.can_checkout, rx.text(tr("cart.fix_problems"), color=RED_TEXT)),
                    rx.flex(
                        rx.link(tr("cart.browse"), href="/billetterie", color=BLUE),
                        rx.cond(CartState.can_checkout,
                                rx.link(rx.button(tr("cart.checkout"), size="3", tab_index=-1,
                                                  white_space="nowrap", style=PRIMARY),
                                        href="/paiement", id="go-checkout")),
                        width="100%", align="center", justify="between", wrap="wrap", gap="0.75rem",
                    ),
                    spacing="3", width="100%",
                ),
                rx.vstack(rx.text(tr("cart.empty"), id="cart-empty"),
                          rx.link(tr("cart.browse"), href="/billetterie", color=BLUE)),
            ),
            rx.spinner(),
        ),
        title_key="cart.title",
    )


def _total(state) -> rx.Var:
    return rx.cond(LangState.current_lang == "en", state.total_en, state.total_fr)


# ------------------------------------------------------------------ checkout

def _field(name: str, label_key: str, control_id: str, **props) -> rx.Component:
    error = CheckoutState.field_errors.get(name, "").to(str)
    return rx.vstack(
        rx.el.label(tr(label_key), html_for=control_id, font_weight="500", font_size="0.95rem"),
        rx.input(name=name, id=control_id, size="3", width="100%", required=True,
                 on_blur=lambda v: CheckoutState.check_field(name, v),
                 aria_invalid=rx.cond(error != "", "true", "false"),
                 aria_describedby=f"{control_id}-error", **props),
        field_error(error, control_id),
        spacing="1", width="100%",
    )


def _test_cards() -> rx.Component:
    return rx.cond(
        CheckoutState.show_test_cards,
        rx.el.details(
            rx.el.summary(tr("checkout.test_cards"), style={"cursor": "pointer", "font_weight": "600"}),
            rx.text(tr("checkout.test_cards_hint"), size="2", color=MUTED, margin_y="0.5rem"),
            rx.el.ul(rx.foreach(CheckoutState.test_cards, lambda c: rx.el.li(
                rx.code(c["number"]), " — ",
                rx.match(c["outcome"],
                         *((o, tr(f"checkout.outcome.{o}")) for o in (
                             "succeeded", "card_declined", "insufficient_funds", "expired_card", "incorrect_cvc")),
                         c["outcome"]),
            )), style={"padding_left": "1.2rem", "font_size": "0.9rem"}),
            id="test-cards", open=True,
            style={"border": "1px dashed #6b7280", "border_radius": "8px", "padding": "0.75rem",
                   "background": "#fffbea"},
        ),
    )


def _summary() -> rx.Component:
    return rx.card(
        rx.heading(tr("checkout.summary"), as_="h2", size="4", margin_bottom="0.5rem"),
        hold_countdown(CartState.hold_expires_at, "checkout-hold"),
        rx.cond(CartState.has_expired_hold,
                rx.text(tr("checkout.hold.expired"), color=AMBER_TEXT, size="2", id="checkout-hold-expired",
                        margin_y="0.5rem")),
        rx.foreach(CheckoutState.lines, lambda line: rx.hstack(
            rx.text(line["quantity"], " \u00d7 ", line["event_title"], " — ", type_label(line["offer_type"]), size="2",
                    flex="1"),
            rx.text(loc(line, "line_total"), size="2", weight="bold"),
            width="100%",
        )),
        rx.divider(margin_y="0.5rem"),
        rx.hstack(rx.text(tr("cart.total"), weight="bold"), rx.spacer(),
                  rx.text(_total(CheckoutState), weight="bold", id="checkout-total"), width="100%"),
        rx.link(tr("checkout.back_cart"), href="/panier", color=BLUE, size="2"),
        width="100%",
    )


# The expiry and CVC labels take the same height (two lines at most) so their boxes line up even when one wraps.
CARD_PAIR_CSS = ".jo-card-pair label { min-height: 2.6em; display: flex; align-items: flex-end; }"


def checkout_page() -> rx.Component:
    pay_label = trv("checkout.pay", amount=_total(CheckoutState))
    return page_shell(
        rx.el.style(CARD_PAIR_CSS),
        rx.cond(
            ~CheckoutState.loaded,
            rx.spinner(),
            rx.cond(
                CheckoutState.lines.length() == 0,
                rx.vstack(rx.text(tr("checkout.empty"), id="checkout-empty"),
                          rx.link(tr("cart.browse"), href="/billetterie", color=BLUE)),
                rx.flex(
                    rx.vstack(_summary(), _test_cards(), spacing="3", flex="1", min_width="min(100%, 18rem)"),
                    rx.form(
                        rx.vstack(
                            rx.heading(tr("checkout.card"), as_="h2", size="4"),
                            rx.cond(CheckoutState.form_error != "",
                                    rx.callout(tr_var(CheckoutState.form_error), icon="triangle_alert",
                                               color_scheme="red", role="alert", id="payment-error", width="100%")),
                            _field("holder", "checkout.holder", "card-holder", auto_complete="cc-name"),
                            _field("card_number", "checkout.card_number", "card-number", auto_complete="cc-number",
                                   input_mode="numeric", placeholder="4242 4242 4242 4242", max_length=23),
                            rx.flex(
                                _field("expiry", "checkout.expiry", "card-expiry", auto_complete="cc-exp",
                                       placeholder=tr("checkout.expiry_placeholder"), max_length=7,
                                       input_mode="numeric"),
                                _field("cvc", "checkout.cvc", "card-cvc", auto_complete="cc-csc", input_mode="numeric",
                                       max_length=4),
                                # Two equal columns whose labels keep one line: the two boxes stay side by side,
                                # at the same height, down to phone width.
                                display="grid", grid_template_columns="minmax(0, 1fr) minmax(0, 1fr)",
                                gap="1rem", width="100%", align_items="start", class_name="jo-card-pair",
                            ),
                            rx.button(
                                rx.cond(CheckoutState.paying, rx.spinner(size="2"),
                                        rx.icon("lock", size=16, aria_hidden="true")),
                                pay_label,
                                type="submit", size="3", width="100%", id="pay-button", style=PRIMARY,
                                disabled=CheckoutState.paying | ~CheckoutState.can_checkout,
                                custom_attrs={"data-testid": "pay-button", "aria-busy": CheckoutState.paying.to(str)},
                            ),
                            rx.cond(CheckoutState.paying,
                                    rx.text(tr("checkout.paying"), role="status", id="paying-status", color=MUTED)),
                            rx.cond(~CheckoutState.can_checkout, rx.text(tr("cart.fix_problems"), color=RED_TEXT)),
                            rx.text(tr("checkout.secure"), size="1", color=MUTED),
                            spacing="3", width="100%",
                        ),
                        on_submit=CheckoutState.pay,
                        reset_on_submit=False,
                        flex="1", min_width="min(100%, 20rem)",
                        id="payment-form",
                    ),
                    gap="1.5rem", wrap="wrap", width="100%",
                ),
            ),
        ),
        title_key="checkout.title",
    )
