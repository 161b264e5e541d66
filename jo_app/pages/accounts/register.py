"""/inscription (sign-up with consent and live password rules) and /verification (e-mailed code, resend)."""

from __future__ import annotations

import reflex as rx

from jo_app.components.forms import (
    field_error,
    form_card,
    notice,
    password_field_with_rules,
    submit_button,
    text_field,
)
from jo_app.components.layout import page_shell
from jo_app.i18n import tr
from jo_app.state.accounts.register import ForgotPasswordState as S
from jo_app.state.accounts.register import RegisterState


def _consent() -> rx.Component:
    error = RegisterState.errors["consent"]
    return rx.box(
        rx.hstack(
            rx.el.input(type="checkbox", id="f-consent", name="consent", required=True,
                        aria_invalid=rx.cond(error, "true", "false"), aria_describedby="f-consent-error",
                        style={"width": "1.25rem", "height": "1.25rem", "marginTop": "0.15rem",
                               "accentColor": "#1d4ed8"}),
            rx.el.label(
                tr("register.consent_before"),
                rx.link(tr("register.consent_link"), href="/confidentialite", is_external=True),
                html_for="f-consent",
            ),
            align="start",
            spacing="2",
        ),
        field_error(error, "f-consent"),
        width="100%",
    )


def register_page() -> rx.Component:
    errors = RegisterState.errors
    return page_shell(
        form_card(
            rx.text(tr("register.intro"), color="#374151"),
            rx.form(
                rx.vstack(
                    field_error(errors["form"], "register-form"),
                    rx.flex(
                        text_field("first_name", "field.first_name", error=errors["first_name"],
                                   autocomplete="given-name", max_length=50,
                                   default_value=RegisterState.first_name),
                        text_field("last_name", "field.last_name", error=errors["last_name"],
                                   autocomplete="family-name", max_length=50, default_value=RegisterState.last_name),
                        spacing="3",
                        width="100%",
                        direction={"initial": "column", "sm": "row"},
                    ),
                    text_field("email", "field.email", error=errors["email"], type="email", autocomplete="email",
                               max_length=254, default_value=RegisterState.email),
                    password_field_with_rules("password", "field.password", "register_password",
                                              error=errors["password"]),
                    _consent(),
                    submit_button("register.submit", busy=RegisterState.busy, button_id="register-submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=RegisterState.register,
                reset_on_submit=False,
                width="100%",
            ),
            rx.text(tr("register.have_account"), " ", rx.link(tr("nav.login"), href="/connexion"), size="2"),
        ),
        title_key="register.title",
        narrow=True,
    )


def verify_page() -> rx.Component:
    errors = RegisterState.errors
    return page_shell(
        notice(RegisterState.notice),
        form_card(
            rx.text(tr("verify.intro"), color="#374151"),
            rx.form(
                rx.vstack(
                    text_field("email", "field.email", error=errors["email"], type="email", autocomplete="email",
                               default_value=RegisterState.email, key=RegisterState.email),
                    text_field("code", "field.code", error=errors["code"], autocomplete="one-time-code",
                               auto_capitalize="characters", spell_check=False, max_length=16),
                    submit_button("verify.submit", busy=RegisterState.busy, button_id="verify-submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=RegisterState.verify,
                reset_on_submit=False,
                width="100%",
            ),
            rx.button(tr("verify.resend"), variant="ghost", type="button", on_click=RegisterState.resend,
                      id="resend-code", disabled=RegisterState.busy),
        ),
        title_key="verify.title",
        narrow=True,
    )


def forgot_page() -> rx.Component:
    return page_shell(
        notice(S.notice),
        form_card(
            rx.cond(
                S.code_requested,
                rx.form(
                    rx.vstack(
                        text_field("code", "field.code", error=S.errors["code"], autocomplete="one-time-code",
                                   auto_capitalize="characters", spell_check=False, max_length=16),
                        password_field_with_rules("password", "field.new_password", "reset_password",
                                                  error=S.errors["password"]),
                        submit_button("forgot.reset", busy=S.busy, button_id="reset-submit"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=S.reset_password,
                    reset_on_submit=False,
                    width="100%",
                ),
                rx.form(
                    rx.vstack(
                        rx.text(tr("forgot.intro"), color="#374151"),
                        text_field("email", "field.email", error=S.errors["email"], type="email",
                                   autocomplete="email", default_value=S.email),
                        submit_button("forgot.request", busy=S.busy, button_id="forgot-submit"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=S.request_code,
                    reset_on_submit=False,
                    width="100%",
                ),
            ),
            rx.link(tr("common.back"), href="/connexion"),
        ),
        title_key="forgot.title",
        narrow=True,
    )
