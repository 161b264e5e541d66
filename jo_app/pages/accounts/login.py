"""/connexion: e-mail + password, then the 2FA step when the account has it (TOTP or recovery code)."""

from __future__ import annotations

import reflex as rx

from jo_app.components.forms import field_error, form_card, notice, text_field
from jo_app.components.layout import page_shell
from jo_app.i18n import tr
from jo_app.state.accounts.login import STEP_TOTP, LoginState


def login_page() -> rx.Component:
    totp_step = LoginState.step == STEP_TOTP
    return page_shell(
        notice(LoginState.notice),
        form_card(
            rx.text(rx.cond(totp_step, tr("login.totp_intro"), tr("login.intro")), color="#374151"),
            rx.form(
                rx.vstack(
                    field_error(LoginState.errors["form"], "login-form"),
                    # Kept in the form (hidden) during the 2FA step: the password is sent again with the code
                    # instead of being stored on the server.
                    rx.box(
                        text_field("email", "field.email", error=LoginState.errors["email"], type="email",
                                   autocomplete="username", default_value=LoginState.email, field_id="email"),
                        text_field("password", "field.password", error=LoginState.errors["password"],
                                   type="password", autocomplete="current-password", field_id="password"),
                        display=rx.cond(totp_step, "none", "block"),
                        width="100%",
                    ),
                    rx.cond(
                        totp_step,
                        rx.box(
                            rx.heading(tr("login.totp_title"), as_="h2", size="4", margin_bottom="0.5rem"),
                            text_field("code", "field.totp", error=LoginState.errors["code"],
                                       autocomplete="one-time-code", input_mode="text", auto_focus=True,
                                       max_length=20, field_id="totp-code"),
                            width="100%",
                        ),
                    ),
                    rx.button(
                        rx.cond(totp_step, tr("login.totp_submit"), tr("login.submit")), type="submit",
                        loading=LoginState.busy, disabled=LoginState.busy, size="3", id="login-submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=LoginState.submit,
                reset_on_submit=False,
                width="100%",
            ),
            rx.cond(totp_step, rx.button(tr("login.restart"), variant="ghost", on_click=LoginState.restart,
                                         type="button")),
            rx.hstack(
                rx.link(tr("login.forgot"), href="/mot-de-passe-oublie", id="forgot-link"),
                rx.spacer(),
                rx.text(tr("login.no_account"), " ", rx.link(tr("nav.register"), href=LoginState.register_href,
                                                                  id="register-link"), size="2"),
                width="100%",
                wrap="wrap",
                spacing="2",
            ),
        ),
        title_key="login.title",
        narrow=True,
    )
