"""/admin/utilisateurs: search, role, lock / unlock, force logout."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jo_app.i18n import tr
from jo_app.pages.admin_components import MUTED, NATIVE_SELECT, admin_shell, label, loc, notices
from jo_app.state.accounts.admin import AdminUsersState as S


def _role_options() -> list[rx.Component]:
    return [rx.el.option(tr(f"admin.role.{r}"), value=r) for r in ("visitor", "employee", "admin")]


def search_form() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.box(label("admin.users.query", "users-q"),
                   rx.input(id="users-q", name="q", default_value=S.query, width="100%"), flex="2",
                   min_width="14rem"),
            rx.box(label("admin.users.role", "users-role"),
                   rx.el.select(rx.el.option(tr("admin.all_roles"), value=""), *_role_options(), name="role",
                                id="users-role", style=NATIVE_SELECT),
                   flex="1", min_width="10rem"),
            rx.button(rx.icon("search", size=16), tr("admin.search"), type="submit", id="users-search"),
            gap="0.75rem", align="end", wrap="wrap", width="100%",
        ),
        on_submit=S.search, reset_on_submit=False, width="100%", margin_bottom="1rem",
    )


def _user_row(user: Any) -> rx.Component:
    uid = user["id"].to_string()
    return rx.table.row(
        rx.table.cell(rx.text(user["email"], weight="bold"), rx.text(user["name"], size="1", color=MUTED)),
        rx.table.cell(
            rx.el.select(*_role_options(), value=user["role"].to(str), id="user-role-" + uid,
                         aria_label=tr("admin.users.role"), style=NATIVE_SELECT,
                         on_change=lambda value: S.ask_role(user["id"], value),
                         disabled=user["anonymized"].to(bool)),
        ),
        rx.table.cell(rx.cond(user["is_locked"],
                              rx.badge(tr("admin.locked"), color_scheme="red", high_contrast=True),
                              rx.badge(tr("admin.active"), color_scheme="green", high_contrast=True))),
        rx.table.cell(user["active_sessions"].to_string()),
        rx.table.cell(loc(user, "last_login")),
        rx.table.cell(rx.flex(
            rx.cond(user["is_locked"],
                    rx.button(tr("admin.unlock"), size="1", variant="soft", on_click=S.set_locked(user["id"], False),
                              id="user-unlock-" + uid),
                    rx.button(tr("admin.lock"), size="1", variant="soft", color_scheme="red",
                              on_click=S.set_locked(user["id"], True), id="user-lock-" + uid)),
            rx.button(tr("admin.force_logout"), size="1", variant="soft", color_scheme="gray",
                      on_click=S.force_logout(user["id"]), id="user-logout-" + uid),
            gap="0.4rem", wrap="wrap",
        )),
        id="user-row-" + uid,
    )


def _role_label(role: rx.Var) -> rx.Component:
    return rx.match(role, *((r, tr(f"admin.role.{r}")) for r in ("visitor", "employee", "admin")), role)


def role_dialog() -> rx.Component:
    """Asks before a role change is applied (the menu alone changes nothing)."""
    change = S.role_change
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(tr("admin.users.confirm_title")),
            rx.alert_dialog.description(
                rx.text(rx.text.strong(change["email"]), " : ", _role_label(change["old"]), " → ",
                        rx.text.strong(_role_label(change["new"]), id="role-confirm-new")),
                rx.text(tr("admin.users.confirm_text"), size="2", color=MUTED),
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(tr("admin.cancel"), variant="soft", color_scheme="gray",
                                                 on_click=S.cancel_role, id="role-cancel")),
                rx.alert_dialog.action(rx.button(tr("admin.users.confirm_apply"), on_click=S.confirm_role,
                                                 id="role-confirm")),
                gap="0.75rem", justify="end", margin_top="1rem",
            ),
            id="role-dialog",
        ),
        open=change.contains("id"),
    )


def users_page() -> rx.Component:
    return admin_shell(
        notices(S),
        role_dialog(),
        search_form(),
        rx.cond(
            S.users.length() > 0,
            rx.box(rx.table.root(
                rx.table.header(rx.table.row(*(rx.table.column_header_cell(tr(k)) for k in (
                    "admin.col.user", "admin.col.role", "admin.col.status", "admin.col.sessions",
                    "admin.col.last_login", "admin.col.actions")))),
                rx.table.body(rx.foreach(S.users, _user_row)),
                variant="surface", size="1", width="100%", id="users-table"), overflow_x="auto", width="100%"),
            rx.cond(S.searched, rx.text(tr("admin.no_results"), color=MUTED), rx.fragment()),
        ),
        title_key="admin.users.title",
        active="users",
    )
