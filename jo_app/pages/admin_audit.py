"""/admin/journal: anomaly panel and the audit log with filters and pagination."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jo_app.i18n import tr
from jo_app.pages.admin_components import MUTED, NATIVE_SELECT, admin_shell, label, loc
from jo_app.state.admin_audit import AdminAuditState as S


def _span(item: Any) -> rx.Component:
    return rx.text(loc(item, "first"), " → ", loc(item, "last"), size="1", color=MUTED)


def _anomaly_list(title_key: str, items: rx.Var, render, list_id: str) -> rx.Component:
    return rx.box(
        rx.heading(tr(title_key), as_="h3", size="3"),
        rx.cond(items.length() > 0,
                rx.el.ul(rx.foreach(items, render), id=list_id, style={"paddingLeft": "1.1rem"}),
                rx.text(tr("admin.anomaly.none"), size="2", color=MUTED, id=f"{list_id}-none")),
        width="100%",
    )


def anomalies() -> rx.Component:
    return rx.card(
        rx.heading(tr("admin.anomaly.title"), as_="h2", size="4", margin_bottom="0.5rem"),
        rx.grid(
            _anomaly_list("admin.anomaly.logins", S.login_bursts, lambda b: rx.el.li(
                rx.text(rx.cond(b["kind"] == "ip", tr("admin.anomaly.ip"), tr("admin.anomaly.email")), " ",
                        rx.code(b["key"]), " — ", b["count"].to_string(), " ", tr("admin.anomaly.failures")),
                _span(b), custom_attrs={"data-testid": "anomaly-login"}), "anomaly-logins"),
            _anomaly_list("admin.anomaly.scans", S.scan_bursts, lambda b: rx.el.li(
                rx.text(tr("admin.anomaly.gate"), " ", rx.code(b["gate"]), " — ", b["count"].to_string(), " ",
                        tr("admin.anomaly.invalid_scans")),
                _span(b), custom_attrs={"data-testid": "anomaly-scan"}), "anomaly-scans"),
            _anomaly_list("admin.anomaly.tickets", S.multi_gate, lambda t: rx.el.li(
                rx.text(rx.code(t["number"]), " — ", tr("admin.anomaly.gates"), " ", t["gates"], " (",
                        t["attempts"].to_string(), " ", tr("admin.anomaly.attempts"), ")"),
                _span(t), custom_attrs={"data-testid": "anomaly-ticket"}), "anomaly-tickets"),
            columns={"initial": "1", "md": "3"}, gap="1rem", width="100%",
        ),
        width="100%", id="anomalies", margin_bottom="1.25rem",
    )


def filters() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.box(label("admin.audit.actor", "audit-actor"),
                   rx.input(id="audit-actor", name="actor", default_value=S.actor, width="100%"),
                   flex="2", min_width="12rem"),
            rx.box(label("admin.audit.action", "audit-action"),
                   rx.el.select(rx.el.option(tr("admin.all_actions"), value=""),
                                rx.foreach(S.actions, lambda a: rx.el.option(a, value=a)),
                                name="action", id="audit-action", style=NATIVE_SELECT),
                   flex="2", min_width="12rem"),
            rx.box(label("admin.audit.from", "audit-from"),
                   rx.input(id="audit-from", name="date_from", type="date", default_value=S.date_from)),
            rx.box(label("admin.audit.to", "audit-to"),
                   rx.input(id="audit-to", name="date_to", type="date", default_value=S.date_to)),
            rx.button(rx.icon("filter", size=16), tr("admin.filter"), type="submit", id="audit-filter"),
            gap="0.75rem", align="end", wrap="wrap", width="100%",
        ),
        on_submit=S.filter, reset_on_submit=False, width="100%", margin_bottom="1rem",
    )


def _entry(entry: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(entry["at"], size="1", white_space="nowrap")),
        rx.table.cell(entry["actor"]),
        rx.table.cell(rx.code(entry["action"])),
        rx.table.cell(entry["target"]),
        rx.table.cell(entry["ip"]),
        rx.table.cell(rx.text(entry["details"], size="1", color=MUTED, style={"wordBreak": "break-word"})),
        custom_attrs={"data-testid": "audit-row"},
    )


def log_table() -> rx.Component:
    return rx.vstack(
        rx.text(tr("admin.audit.total"), " ", S.total.to_string(), size="2", color=MUTED, id="audit-total"),
        rx.box(rx.table.root(
            rx.table.header(rx.table.row(*(rx.table.column_header_cell(tr(k)) for k in (
                "admin.col.time_paris", "admin.col.actor", "admin.col.action", "admin.col.target", "admin.col.ip",
                "admin.col.details")))),
            rx.table.body(rx.foreach(S.entries, _entry)),
            variant="surface", size="1", width="100%", id="audit-table"), overflow_x="auto", width="100%"),
        rx.flex(
            rx.button(tr("admin.previous"), variant="soft", disabled=S.page <= 1, on_click=S.go_page(S.page - 1),
                      id="audit-prev"),
            rx.text(S.page.to_string(), " / ", S.pages.to_string(), id="audit-page"),
            rx.button(tr("admin.next"), variant="soft", disabled=S.page >= S.pages, on_click=S.go_page(S.page + 1),
                      id="audit-next"),
            gap="0.75rem", align="center",
        ),
        width="100%", spacing="3",
    )


def audit_page() -> rx.Component:
    return admin_shell(anomalies(), filters(), log_table(), title_key="admin.audit.title", active="audit")
