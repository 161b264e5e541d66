"""Ownership UI: the holder / transfer panel of a ticket card on "Mes billets", the transfers offered to me, and
the transfer acceptance page (/billets/transfert/[token])."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jo_app.components.layout import page_shell
from jo_app.i18n import tr, tr_count, tr_var
from jo_app.pages.shop_components import BLUE, MUTED, PRIMARY, loc, trv
from jo_app.state.tickets.ownership import OwnershipState, TransferAcceptState

_LABEL = {"fontWeight": "600", "display": "block", "marginBottom": "0.25rem", "color": "#111827"}


def _input(label_key: str, name: str, field_id: rx.Var, **props: Any) -> rx.Component:
    return rx.box(
        rx.el.label(tr(label_key), html_for=field_id, style=_LABEL),
        rx.input(id=field_id, name=name, size="3", width="100%", **props),
        width="100%", min_width="min(100%, 12rem)", flex="1",
    )


def _feedback(ticket: Any) -> rx.Component:
    mine = (OwnershipState.feedback_ticket == ticket["id"]) & (OwnershipState.feedback_key != "")
    return rx.cond(mine, rx.callout(tr_var(OwnershipState.feedback_key),
                                    icon=rx.cond(OwnershipState.feedback_ok, "circle_check", "triangle_alert"),
                                    color_scheme=rx.cond(OwnershipState.feedback_ok, "green", "red"),
                                    role=rx.cond(OwnershipState.feedback_ok, "status", "alert"),
                                    custom_attrs={"data-testid": "ownership-feedback"}, width="100%"))


def _holder_form(ticket: Any, tid: rx.Var) -> rx.Component:
    return rx.form(
        rx.el.input(type="hidden", name="ticket_id", value=tid),
        rx.flex(
            _input("own.holder_first", "first_name", "holder-first-" + tid, default_value=ticket["holder_first"],
                   required=True, max_length=50, auto_complete="off"),
            _input("own.holder_last", "last_name", "holder-last-" + tid, default_value=ticket["holder_last"],
                   required=True, max_length=50, auto_complete="off"),
            gap="0.75rem", wrap="wrap", width="100%",
        ),
        rx.hstack(rx.button(tr("own.save"), type="submit", style=PRIMARY, custom_attrs={"data-testid": "holder-save"}),
                  rx.button(tr("own.close"), type="button", variant="soft", on_click=OwnershipState.close_form),
                  margin_top="0.5rem"),
        on_submit=OwnershipState.save_holder, reset_on_submit=False, width="100%",
        custom_attrs={"data-testid": "holder-form"},
    )


def _transfer_form(tid: rx.Var) -> rx.Component:
    return rx.form(
        rx.el.input(type="hidden", name="ticket_id", value=tid),
        _input("own.transfer_email", "email", "transfer-email-" + tid, type="email", required=True,
               max_length=254, auto_complete="off"),
        rx.text(tr("own.transfer_help"), size="1", color=MUTED, margin_top="0.25rem"),
        rx.hstack(rx.button(tr("own.transfer_send"), type="submit", style=PRIMARY,
                            custom_attrs={"data-testid": "transfer-send"}),
                  rx.button(tr("own.close"), type="button", variant="soft", on_click=OwnershipState.close_form),
                  margin_top="0.5rem"),
        on_submit=OwnershipState.send_transfer, reset_on_submit=False, width="100%",
        custom_attrs={"data-testid": "transfer-form"},
    )


def ownership_panel(ticket: Any) -> rx.Component:
    """Holder and transfer actions of a valid ticket before the cut-off; the pending transfer with its cancel."""
    tid = ticket["id"].to(str)
    pending = ticket["transfer_id"].to(int) > 0
    return rx.fragment(rx.cond(ticket["live_qr"].to(bool),
                               rx.text(tr("own.live_qr"), size="2", weight="medium",
                                       custom_attrs={"data-testid": "live-qr-note"})),
                       rx.cond(ticket["static_off"].to(bool),
                               rx.callout(tr("own.static_off"), icon="triangle-alert", color_scheme="red", size="1",
                                          custom_attrs={"data-testid": "static-off-note"})),
                       _changes(ticket, tid, pending))


def _changes(ticket: Any, tid: rx.Var, pending: rx.Var) -> rx.Component:
    listed = ticket["listing_id"].to(int) > 0
    return rx.cond(
        ticket["changeable"].to(bool),
        rx.vstack(
            rx.cond(
                listed,
                rx.vstack(
                    rx.text(trv("own.listed", price=loc(ticket, "listing_price")), size="2", weight="medium",
                            custom_attrs={"data-testid": "resale-listed"}),
                    rx.button(tr("own.withdraw"), variant="outline", size="2",
                              on_click=OwnershipState.withdraw_listing(ticket["listing_id"].to(int),
                                                                       ticket["id"].to(int)),
                              custom_attrs={"data-testid": "resale-withdraw"}),
                    spacing="1",
                ),
            ),
            rx.cond(listed, rx.fragment(), _transfer_or_actions(ticket, pending)),
            rx.cond(OwnershipState.open_form == "holder-" + tid, _holder_form(ticket, tid)),
            rx.cond(OwnershipState.open_form == "transfer-" + tid, _transfer_form(tid)),
            _feedback(ticket),
            rx.text(trv("own.deadline", when=loc(ticket, "deadline")), size="1", color=MUTED),
            spacing="2", width="100%", custom_attrs={"data-testid": "ownership-panel"},
        ),
        _feedback(ticket),
    )


def _transfer_or_actions(ticket: Any, pending: rx.Var) -> rx.Component:
    """The pending transfer (with its cancel button), or the holder / transfer / resale buttons."""
    return rx.cond(
        pending,
        rx.vstack(
            rx.text(trv("own.pending", email=ticket["transfer_to"], when=loc(ticket, "transfer_until")),
                    size="2", weight="medium", custom_attrs={"data-testid": "transfer-pending"}),
            rx.button(tr("own.cancel_transfer"), variant="outline", color_scheme="red", size="2",
                      on_click=OwnershipState.cancel_transfer(ticket["transfer_id"].to(int),
                                                              ticket["id"].to(int)),
                      custom_attrs={"data-testid": "transfer-cancel"}),
            spacing="1",
        ),
        rx.flex(
            rx.button(rx.icon("user-pen", size=16, aria_hidden="true"), tr("own.holder_edit"),
                      variant="soft", size="2", on_click=OwnershipState.show_form("holder", ticket["id"]),
                      custom_attrs={"data-testid": "holder-edit"}),
            rx.button(rx.icon("send", size=16, aria_hidden="true"), tr("own.transfer"), variant="soft",
                      size="2", on_click=OwnershipState.show_form("transfer", ticket["id"]),
                      custom_attrs={"data-testid": "transfer-open"}),
            rx.cond(ticket["resale_open"].to(bool),
                    rx.button(rx.icon("repeat", size=16, aria_hidden="true"), tr("own.resale"),
                              variant="soft", size="2", title=tr("own.resale_help"),
                              on_click=OwnershipState.list_for_resale(ticket["id"].to(int)),
                              custom_attrs={"data-testid": "resale-list"})),
            gap="0.75rem", wrap="wrap",
        ),
    )


def incoming_transfers() -> rx.Component:
    """Tickets other people are transferring to me (accepted through the e-mailed link)."""
    return rx.cond(
        OwnershipState.incoming.length() > 0,
        rx.callout(
            rx.vstack(
                rx.text(tr("own.incoming"), weight="bold"),
                rx.foreach(OwnershipState.incoming, lambda t: rx.text(
                    trv("own.incoming_hint", name=t["from_name"], event=t["event_title"]), size="2")),
                spacing="1",
            ),
            icon="inbox", color_scheme="blue", width="100%", custom_attrs={"data-testid": "incoming-transfers"},
        ),
    )


# ------------------------------------------------------------------ acceptance page

def _new_account_form() -> rx.Component:
    return rx.form(
        rx.text(tr("own.accept_create"), weight="medium"),
        rx.flex(_input("own.first_name", "first_name", "accept-first", required=True, auto_complete="given-name"),
                _input("own.last_name", "last_name", "accept-last", required=True, auto_complete="family-name"),
                gap="0.75rem", wrap="wrap", width="100%"),
        _input("own.password", "password", "accept-password", type="password", required=True,
               auto_complete="new-password"),
        rx.el.label(rx.el.input(type="checkbox", name="consent", id="accept-consent", required=True),
                    " ", tr("own.consent"), html_for="accept-consent"),
        rx.button(tr("own.accept_create_button"), type="submit", style=PRIMARY,
                  custom_attrs={"data-testid": "accept-create"}),
        on_submit=TransferAcceptState.create_and_accept, reset_on_submit=False,
        display="flex", flex_direction="column", gap="0.75rem", width="100%",
    )


def transfer_accept_page() -> rx.Component:
    offer = TransferAcceptState.offer
    error = rx.cond(TransferAcceptState.error_key != "",
                    rx.callout(tr_var(TransferAcceptState.error_key), icon="triangle_alert", color_scheme="red",
                               role="alert", width="100%", custom_attrs={"data-testid": "accept-error"}))
    open_offer = rx.vstack(
        rx.text(trv("own.accept_offer", name=offer["from_name"], event=offer["event_title"],
                    when=loc(offer, "when"), persons=tr_count("common.persons", offer["persons"].to(int))), size="4",
                custom_attrs={"data-testid": "accept-offer"}),
        rx.text(trv("own.accept_for", email=offer["to_email"]), color=MUTED),
        error,
        rx.cond(
            TransferAcceptState.is_authenticated,
            rx.button(tr("own.accept"), on_click=TransferAcceptState.accept, style=PRIMARY, size="3",
                      custom_attrs={"data-testid": "accept-transfer"}),
            rx.vstack(
                rx.button(tr("own.accept_login"), on_click=TransferAcceptState.accept, variant="outline", size="3",
                          custom_attrs={"data-testid": "accept-login"}),
                rx.divider(),
                _new_account_form(),
                spacing="3", width="100%",
            ),
        ),
        spacing="3", width="100%",
    )
    return page_shell(
        rx.match(
            TransferAcceptState.outcome,
            ("unknown", rx.callout(tr("own.unknown"), icon="info", custom_attrs={"data-testid": "accept-unknown"})),
            ("closed", rx.callout(tr("own.closed"), icon="info", custom_attrs={"data-testid": "accept-closed"})),
            ("accepted", rx.vstack(
                rx.callout(tr("own.accepted"), icon="circle_check", color_scheme="green", role="status",
                           custom_attrs={"data-testid": "accept-done"}),
                rx.link(tr("own.go_tickets"), href="/billets", color=BLUE,
                        custom_attrs={"data-testid": "go-tickets"}))),
            ("accepted_new", rx.vstack(
                rx.callout(tr("own.accepted_new"), icon="circle_check", color_scheme="green", role="status",
                           custom_attrs={"data-testid": "accept-done"}),
                rx.link(tr("own.go_login"), href="/connexion?next=/billets", color=BLUE,
                        custom_attrs={"data-testid": "go-login"}))),
            rx.cond(offer.contains("from_name"), open_offer, rx.spinner()),
        ),
        title_key="own.accept_title", narrow=True,
    )
