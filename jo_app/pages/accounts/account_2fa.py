"""The two-step verification card of /compte: enrolment (QR + secret + confirm), recovery codes shown once,
regeneration, disabling."""

from __future__ import annotations

import reflex as rx

from jo_app.components.forms import MUTED_COLOR, field_error, section_card, submit_button, text_field
from jo_app.i18n import tr
from jo_app.state.accounts.account import AccountState as A
from jo_app.state.accounts.twofactor import TwoFactorState as T


def _enrolment() -> rx.Component:
    return rx.vstack(
        rx.text(tr("account.2fa_scan")),
        rx.image(src=T.qr_uri, alt=tr("account.2fa_qr_alt"), width="220px", height="220px", id="totp-qr",
                 style={"imageRendering": "pixelated", "border": "1px solid #d0d7e2"}),
        rx.text(tr("account.2fa_secret"), weight="bold", size="2"),
        rx.code(T.secret_display, id="totp-secret", size="3", style={"wordBreak": "break-all"}),
        rx.form(
            rx.vstack(
                text_field("totp_code", "field.totp_only", error=T.tf_errors["tf_code"], autocomplete="one-time-code",
                           input_mode="numeric", max_length=7, field_id="f-totp-confirm"),
                rx.hstack(
                    submit_button("account.2fa_confirm", busy=T.tf_busy, button_id="totp-confirm"),
                    rx.button(tr("common.cancel"), type="button", variant="soft", color_scheme="gray",
                              on_click=T.cancel, size="3"),
                    spacing="3", wrap="wrap",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=T.confirm,
            reset_on_submit=True,
            width="100%",
        ),
        spacing="3",
        width="100%",
        align="start",
    )


def _recovery_codes() -> rx.Component:
    return rx.callout.root(
        rx.vstack(
            rx.heading(tr("account.2fa_codes_title"), as_="h3", size="4"),
            rx.text(tr("account.2fa_codes_intro")),
            rx.el.ul(rx.foreach(T.recovery_codes, lambda c: rx.el.li(rx.code(c, size="3"))), id="recovery-codes",
                     style={"columns": "2", "paddingLeft": "1.2rem"}),
            rx.button(tr("account.2fa_codes_done"), on_click=T.codes_saved, id="recovery-codes-done"),
            spacing="3",
            align="start",
        ),
        color_scheme="amber",
        width="100%",
    )


def _disable_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            text_field("tf_password", "field.current_password", error=T.tf_errors["tf_password"], type="password",
                       autocomplete="current-password", field_id="f-tf-password"),
            text_field("tf_disable_code", "field.totp", error=T.tf_errors["tf_disable_code"],
                       autocomplete="one-time-code", max_length=20, field_id="f-tf-disable-code"),
            submit_button("account.2fa_disable", busy=T.tf_busy, button_id="totp-disable", color_scheme="red",
                          variant="soft"),
            spacing="3",
            width="100%",
        ),
        on_submit=T.disable,
        reset_on_submit=True,
        width="100%",
    )


def _regenerate_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(tr("account.2fa_regenerate"), as_="h3", size="3"),
            rx.text(tr("account.2fa_codes_left", n=T.codes_left), size="2", id="codes-left"),
            rx.text(tr("account.2fa_regenerate_intro"), size="2", color=MUTED_COLOR),
            text_field("regen_code", "field.totp_only", error=T.tf_errors["tf_regen_code"],
                       autocomplete="one-time-code", input_mode="numeric", max_length=7, field_id="f-regen-code"),
            submit_button("account.2fa_regenerate", busy=T.tf_busy, button_id="codes-regenerate", variant="outline"),
            spacing="2",
            width="100%",
        ),
        on_submit=T.regenerate,
        reset_on_submit=True,
        width="100%",
    )


def two_factor_section() -> rx.Component:
    return section_card(
        "account.2fa",
        rx.hstack(
            rx.text(tr("account.2fa_status"), weight="medium"),
            rx.badge(rx.cond(A.totp_enabled, tr("account.2fa_on"), tr("account.2fa_off")),
                     color_scheme=rx.cond(A.totp_enabled, "green", "gray"), size="2", id="totp-status",
                     high_contrast=True),
            align="center",
        ),
        field_error(T.tf_errors["tf_form"], "tf-form"),
        rx.cond(T.recovery_codes.length() > 0, _recovery_codes()),
        rx.cond(
            A.totp_enabled,
            rx.vstack(_regenerate_form(), rx.separator(size="4"), _disable_form(), spacing="4", width="100%"),
            rx.cond(
                T.enrolling,
                _enrolment(),
                rx.vstack(
                    rx.text(tr("account.2fa_intro")),
                    rx.button(tr("account.2fa_start"), on_click=T.start, id="totp-start", size="3"),
                    spacing="3",
                    align="start",
                ),
            ),
        ),
        section_id="two-factor",
    )
