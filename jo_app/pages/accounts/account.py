"""/compte: profile, password, two-step verification, active sessions, data export, account deletion."""

from __future__ import annotations

import reflex as rx

from jo_app.components.forms import (
    MUTED_COLOR,
    notice,
    password_field_with_rules,
    section_card,
    submit_button,
    text_field,
)
from jo_app.components.layout import page_shell
from jo_app.i18n import LangState, tr, tr_var
from jo_app.pages.accounts.account_2fa import two_factor_section
from jo_app.state.accounts.account import AccountState as A


def _profile() -> rx.Component:
    def row(label_key: str, value: rx.Var, value_id: str) -> rx.Component:
        return rx.data_list.item(rx.data_list.label(tr(label_key)), rx.data_list.value(value, id=value_id))

    return section_card(
        "account.profile",
        rx.data_list.root(
            row("field.first_name", A.first_name, "profile-first-name"),
            row("field.last_name", A.last_name, "profile-last-name"),
            row("field.email", A.email, "profile-email"),
            orientation={"initial": "vertical", "sm": "horizontal"},
        ),
        rx.cond(
            A.is_verified,
            rx.badge(rx.icon("badge-check", size=14, aria_hidden="true"), tr("account.verified"), color_scheme="green",
                     size="2", id="email-verified", high_contrast=True),
            rx.hstack(rx.badge(tr("account.not_verified"), color_scheme="orange", size="2", id="email-unverified",
                               high_contrast=True),
                      rx.link(tr("account.verify_now"), href="/verification"), align="center", spacing="3"),
        ),
        rx.form(
            rx.vstack(
                text_field("first_name", "field.first_name", error=A.errors["pf_first_name"],
                           autocomplete="given-name", field_id="f-pf-first", default_value=A.first_name,
                           key=A.first_name),
                text_field("last_name", "field.last_name", error=A.errors["pf_last_name"],
                           autocomplete="family-name", field_id="f-pf-last", default_value=A.last_name,
                           key=A.last_name),
                submit_button("account.update_profile_submit", busy=A.busy == "profile", button_id="pf-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=A.update_profile,
            width="100%",
        ),
        section_id="profile",
    )


def _password() -> rx.Component:
    return section_card(
        "account.change_password",
        rx.form(
            rx.vstack(
                text_field("current_password", "field.current_password", error=A.errors["cp_current"],
                           type="password", autocomplete="current-password", field_id="f-cp-current"),
                password_field_with_rules("new_password", "field.new_password", "account_new_password",
                                          error=A.errors["cp_new"], field_id="f-cp-new"),
                submit_button("account.change_password_submit", busy=A.busy == "password", button_id="cp-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=A.change_password,
            reset_on_submit=True,
            width="100%",
        ),
        section_id="password",
    )


def _session_row(row: rx.Var) -> rx.Component:
    is_en = LangState.current_lang == "en"
    return rx.box(
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.icon("monitor-smartphone", size=16, aria_hidden="true"),
                    rx.text(rx.cond(row["device"], row["device"], tr("account.session_unknown_device")),
                            weight="medium"),
                    rx.cond(row["current"], rx.badge(tr("account.session_current"), color_scheme="blue",
                                                     high_contrast=True)),
                    align="center", spacing="2", wrap="wrap",
                ),
                rx.text(row["ip"], size="2", color=MUTED_COLOR),
                rx.text(tr("account.session_started"), " ", rx.cond(is_en, row["created_en"], row["created_fr"]),
                        " · ", tr("account.session_seen"), " ", rx.cond(is_en, row["seen_en"], row["seen_fr"]),
                        size="2", color=MUTED_COLOR),
                spacing="1",
                align="start",
            ),
            rx.spacer(),
            rx.cond(
                row["current"].to(bool),
                rx.fragment(),
                rx.button(tr("account.session_revoke"), variant="outline", size="2",
                          on_click=A.revoke_session(row["id"].to(str)), class_name="revoke-session"),
            ),
            direction={"initial": "column", "sm": "row"},
            gap="2",
            align={"initial": "start", "sm": "center"},
        ),
        border_bottom="1px solid #e5e7eb",
        padding_y="0.6rem",
        width="100%",
        class_name="session-row",
    )


def _sessions() -> rx.Component:
    return section_card(
        "account.sessions",
        rx.box(rx.foreach(A.session_rows, _session_row), width="100%", id="session-list"),
        rx.button(tr("account.logout_everywhere"), on_click=A.logout_everywhere, variant="soft", color_scheme="red",
                  id="logout-everywhere"),
        section_id="sessions",
    )


def _data() -> rx.Component:
    return section_card(
        "account.data",
        rx.text(tr("account.export_intro")),
        rx.button(rx.icon("download", size=16, aria_hidden="true"), tr("account.export"), on_click=A.export_data,
                  variant="outline", id="export-data"),
        section_id="data",
    )


def _delete() -> rx.Component:
    return section_card(
        "account.delete",
        rx.text(tr("account.delete_intro")),
        rx.form(
            rx.vstack(
                text_field("delete_password", "field.current_password", error=A.errors["del_password"],
                           type="password", autocomplete="current-password", field_id="f-del-password"),
                rx.cond(
                    A.delete_needs_force,
                    rx.vstack(
                        rx.callout(tr_var(A.errors["del_form"]), color_scheme="red", role="alert", id="delete-refused",
                                   width="100%"),
                        rx.hstack(
                            submit_button("account.delete_force", busy=A.busy == "delete", button_id="delete-force",
                                          color_scheme="red"),
                            rx.button(tr("common.cancel"), type="button", variant="soft", color_scheme="gray",
                                      on_click=A.cancel_delete, size="3"),
                            spacing="3", wrap="wrap",
                        ),
                        width="100%",
                    ),
                    submit_button("account.delete_submit", busy=A.busy == "delete", button_id="delete-submit",
                                  color_scheme="red", variant="soft"),
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=A.delete_account,
            reset_on_submit=False,
            width="100%",
        ),
        section_id="delete",
    )


def account_page() -> rx.Component:
    return page_shell(
        notice(A.notice),
        rx.cond(
            A.loaded,
            rx.vstack(_profile(), _password(), two_factor_section(), _sessions(), _data(), _delete(),
                      spacing="4", width="100%"),
            # A span, not a <p>: the callout text is already a <p>, and a <p> inside a <p> is re-parented by the
            # browser, so the prerendered page never matched React's tree (React error #418 on every full load).
            rx.callout(
                rx.text(tr("account.login_needed"), " ",
                        rx.link(tr("nav.login"), href="/connexion?next=/compte", id="account-login-link"), as_="span"),
                color_scheme="blue",
                id="account-login-needed",
            ),
        ),
        title_key="account.title",
        max_width="48rem",
    )
