"""/admin: KPI cards, three recharts charts (live) and the CSV exports."""

from __future__ import annotations

import reflex as rx

from jo_app.i18n import LangState, num, tr
from jo_app.pages.admin_components import MUTED, admin_shell, loc
from jo_app.state.admin_dashboard import AdminDashboardState as S

BLUE = "#1d4ed8"
GREEN = "#047857"
ORANGE = "#b45309"


def _kpi(label_key: str, value: rx.Var, kpi_id: str, hint: rx.Component | None = None) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(tr(label_key), size="2", color=MUTED, weight="medium"),
            rx.text(value, size="7", weight="bold", id=kpi_id),
            hint or rx.fragment(),
            spacing="1",
        ),
        width="100%",
    )


def _chart_card(title_key: str, chart: rx.Component, box_id: str) -> rx.Component:
    return rx.card(
        rx.heading(tr(title_key), as_="h2", size="4", margin_bottom="0.5rem"),
        rx.box(chart, id=box_id, width="100%", height="300px"),
        width="100%",
    )


def _type_label_key() -> rx.Var:
    return rx.cond(LangState.current_lang == "en", "label_en", "label_fr")


def sales_by_type_chart() -> rx.Component:
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key=_type_label_key()),
        rx.recharts.y_axis(allow_decimals=False),
        rx.recharts.tooltip(),
        rx.recharts.bar(rx.recharts.label_list(data_key="packs", position="top"),
                        data_key="packs", name=tr("admin.chart.packs"), fill=BLUE, is_animation_active=False),
        data=S.by_type, width="100%", height=280, margin={"top": 24, "right": 16, "left": 0, "bottom": 0},
    )


def sales_per_day_chart() -> rx.Component:
    return rx.recharts.line_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
        rx.recharts.x_axis(data_key="day"),
        rx.recharts.y_axis(),
        rx.recharts.tooltip(),
        rx.recharts.line(data_key="revenue", name=tr("admin.chart.revenue_eur"), stroke=GREEN, stroke_width=2,
                         type_="monotone", is_animation_active=False),
        data=S.per_day, width="100%", height=280, margin={"top": 16, "right": 16, "left": 0, "bottom": 0},
    )


def admissions_chart() -> rx.Component:
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="title", interval=0, angle=-20, text_anchor="end", height=70,
                           tick={"fontSize": 11}),
        rx.recharts.y_axis(allow_decimals=False),
        rx.recharts.tooltip(),
        rx.recharts.legend(vertical_align="top"),
        rx.recharts.bar(rx.recharts.label_list(data_key="sold", position="top"), data_key="sold",
                        name=tr("admin.chart.persons_sold"), fill=BLUE, is_animation_active=False),
        rx.recharts.bar(rx.recharts.label_list(data_key="admitted", position="top"), data_key="admitted",
                        name=tr("admin.chart.persons_admitted"), fill=ORANGE, is_animation_active=False),
        data=S.admissions, width="100%", height=280, margin={"top": 24, "right": 16, "left": 0, "bottom": 0},
    )


def resale_figures() -> rx.Component:
    """Official resale (issue 16): listings open, sold, fees earned, refunded to sellers (pushed live)."""
    figures = S.resale
    return rx.vstack(
        rx.heading(tr("admin.resale.heading"), as_="h2", size="4"),
        rx.grid(
            _kpi("admin.kpi.resale_listed", num(figures["listed"]), "kpi-resale-listed"),
            _kpi("admin.kpi.resale_sold", num(figures["sold"]), "kpi-resale-sold"),
            _kpi("admin.kpi.resale_fees", loc(figures, "fees"), "kpi-resale-fees"),
            _kpi("admin.kpi.resale_refunded", loc(figures, "refunded"), "kpi-resale-refunded"),
            columns={"initial": "2", "lg": "4"}, gap="1rem", width="100%",
        ),
        spacing="2", width="100%", id="resale-figures",
    )


def dashboard_page() -> rx.Component:
    kpis = S.kpis
    return admin_shell(
        rx.cond(
            S.loaded,
            rx.vstack(
                rx.grid(
                    _kpi("admin.kpi.revenue", loc(kpis, "revenue"), "kpi-revenue",
                         rx.text(tr("admin.kpi.orders"), " ", rx.text.span(num(kpis["orders"]), id="kpi-orders"),
                                 size="1", color=MUTED)),
                    _kpi("admin.kpi.tickets_sold", num(kpis["tickets_sold"]), "kpi-tickets-sold",
                         rx.text(tr("admin.kpi.persons"), " ", num(kpis["persons_sold"]), size="1",
                                 color=MUTED)),
                    _kpi("admin.kpi.seats_left", num(kpis["seats_left"]), "kpi-seats-left"),
                    _kpi("admin.kpi.admissions", num(kpis["persons_admitted"]), "kpi-admissions",
                         rx.text(tr("admin.kpi.tickets_used"), " ", num(kpis["tickets_used"]), size="1",
                                 color=MUTED)),
                    columns={"initial": "1", "sm": "2", "lg": "4"}, gap="1rem", width="100%",
                ),
                resale_figures(),
                rx.grid(
                    _chart_card("admin.chart.by_type", sales_by_type_chart(), "chart-by-type"),
                    _chart_card("admin.chart.per_day", sales_per_day_chart(), "chart-per-day"),
                    columns={"initial": "1", "md": "2"}, gap="1rem", width="100%",
                ),
                _chart_card("admin.chart.admissions", admissions_chart(), "chart-admissions"),
                rx.flex(
                    rx.button(rx.icon("download", size=16), tr("admin.export.sales"),
                              on_click=S.export_csv("sales", LangState.current_lang), id="export-sales",
                              variant="soft"),
                    rx.button(rx.icon("download", size=16), tr("admin.export.admissions"),
                              on_click=S.export_csv("admissions", LangState.current_lang), id="export-admissions",
                              variant="soft"),
                    rx.text(tr("admin.refreshed_at"), " ", S.refreshed_at, size="1", color=MUTED,
                            id="dashboard-refreshed"),
                    gap="1rem", wrap="wrap", align="center",
                ),
                spacing="4", width="100%",
            ),
            rx.center(rx.spinner(size="3"), padding="2rem"),
        ),
        title_key="admin.dashboard.title",
        active="dashboard",
    )
