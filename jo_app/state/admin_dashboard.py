"""Admin dashboard: KPIs, chart data and CSV exports (figures re-read on load and on each live signal)."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from jo_app.db import session_scope
from jo_app.i18n import text
from jo_app.services import admin_exports, stats
from jo_app.state.admin_common import AdminState
from jo_app.state.shop_format import money
from jo_app.timeutil import utcnow

MAX_EVENTS_IN_CHART = 12
SALES_DAYS = 30


def _title(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_dashboard() -> dict[str, Any]:
    """Every figure of the dashboard as plain JSON-able values (blocking)."""
    with session_scope() as session:
        kpis = stats.kpis(session)
        by_type = stats.sales_by_offer_type(session)
        per_day = stats.sales_per_day(session, days=SALES_DAYS)
        admissions = stats.admissions_per_event(session)
    sold = sorted((a for a in admissions if a["tickets_sold"] > 0),
                  key=lambda a: (-a["persons_sold"], a["starts_at"], a["event_id"]))[:MAX_EVENTS_IN_CHART]
    revenue = money(kpis["revenue_cents"])
    return {
        "kpis": {**{k: int(v) for k, v in kpis.items()}, "revenue_fr": revenue["fr"], "revenue_en": revenue["en"]},
        "by_type": [{"offer_type": row["offer_type"], "label_fr": text(f"shop.type.{row['offer_type']}", "fr"),
                     "label_en": text(f"shop.type.{row['offer_type']}", "en"), "packs": row["packs"],
                     "persons": row["persons"],
                     "revenue": round(row["revenue_cents"] / 100, 2)} for row in by_type],
        "per_day": [{"day": row["day"][5:], "date": row["day"], "orders": row["orders"], "packs": row["packs"],
                     "revenue": round(row["revenue_cents"] / 100, 2)} for row in per_day],
        "admissions": [{"event_id": a["event_id"], "title": _title(a["title"]), "admitted": a["persons_admitted"],
                        "sold": a["persons_sold"]} for a in sold],
    }


def _export(kind: str) -> str:
    with session_scope() as session:
        return admin_exports.sales_csv(session) if kind == "sales" else admin_exports.admissions_csv(session)


class AdminDashboardState(AdminState):
    """/admin: figures for the KPI cards and the three charts."""

    kpis: dict[str, Any] = {}
    by_type: list[dict[str, Any]] = []
    per_day: list[dict[str, Any]] = []
    admissions: list[dict[str, Any]] = []
    loaded: bool = False
    refreshed_at: str = ""

    def _clear(self) -> None:
        self.kpis, self.by_type, self.per_day, self.admissions, self.loaded = {}, [], [], [], False

    @rx.event
    async def load(self):
        """on_load: read every figure (administrators only)."""
        await self._refresh_figures()

    async def _refresh_figures(self) -> None:
        """Re-read every figure if this client is (still) an administrator; called by `load` and, for each open
        dashboard, by `admin_live.publish_admin_stats`."""
        if await self._admin() is None:
            self._clear()
            return
        data = await asyncio.to_thread(read_dashboard)
        self.kpis, self.by_type = data["kpis"], data["by_type"]
        self.per_day, self.admissions = data["per_day"], data["admissions"]
        self.loaded = True
        self.refreshed_at = utcnow().strftime("%H:%M:%S")

    @rx.event
    async def export_csv(self, kind: str):
        """Download the sales ("sales") or admissions ("admissions") CSV."""
        if await self._admin() is None:
            self._clear()
            return None
        kind = "sales" if kind == "sales" else "admissions"
        data = await asyncio.to_thread(_export, kind)
        name = "ventes" if kind == "sales" else "entrees"
        return rx.download(data=data, filename=f"{name}-{utcnow():%Y%m%d-%H%M}.csv")
