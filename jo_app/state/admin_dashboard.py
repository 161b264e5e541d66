"""Admin dashboard: KPIs, chart data and CSV exports (figures re-read on load and on each live signal).

Opening the page costs one event (issue 12): its only on_load, `AdminDashboardState.load`, runs inside Reflex's
`on_load_internal` (`inline_load`), shows the display identity, checks the administrator role and reads the figures
in one thread hop and one database session (figures shared by the dashboards loading together, `shared_dashboard`),
then joins the live `admin` room (`state.admin_live`), which before took three more events (the identity,
`check_access`, `AdminLiveState.link`).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import reflex as rx

from jo_app.db import session_scope
from jo_app.i18n import text
from jo_app.live import hub
from jo_app.models import Role
from jo_app.services import admin_exports, stats
from jo_app.services.tickets import resale
from jo_app.state.admin_common import AdminState
from jo_app.state.admin_live import TOPIC
from jo_app.state.shop_format import labels, money, paris
from jo_app.timeutil import utcnow

MAX_EVENTS_IN_CHART = 12
SALES_DAYS = 30


def _title(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_dashboard() -> dict[str, Any]:
    """Every figure of the dashboard as plain JSON-able values (blocking)."""
    with session_scope() as session:
        return _read(session)


def _read(session) -> dict[str, Any]:
    kpis = stats.kpis(session)
    by_type = stats.sales_by_offer_type(session)
    per_day = stats.sales_per_day(session, days=SALES_DAYS)
    admissions = stats.admissions_per_event(session)
    resold = resale.figures(session)
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
        "resale": {"listed": resold["listed"], "sold": resold["sold"], **labels("fees", cents=resold["fees_cents"]),
                   **labels("refunded", cents=resold["resold_cents"] - resold["fees_cents"])},
    }


SHARED_READ_SECONDS = 0.5  # admin pages loading within this share one read of the figures (never across a change)
_shared: tuple[float, dict[str, Any]] | None = None
_generation = 0  # changes heard so far (`forget_shared`)


def shared_dashboard(session=None, _user_id: int = 0) -> dict[str, Any]:
    """`read_dashboard()` (in `session` when given), shared by the admin pages of this process loading within
    SHARED_READ_SECONDS (blocking). Forgotten at every `admin` notification (`forget_shared`), so a page never loads
    figures older than a change this process has heard of. Only returned after each page's own administrator check."""
    global _shared
    now = time.monotonic()
    cached, generation = _shared, _generation
    if cached is not None and now - cached[0] < SHARED_READ_SECONDS:
        return cached[1]
    data = _read(session) if session is not None else read_dashboard()
    if generation == _generation:  # a change heard during the read: this page has its figures, no one else reuses them
        _shared = (now, data)
    return data


def forget_shared(_topic: str = "") -> None:
    global _shared, _generation
    _shared = None
    _generation += 1


def _export(kind: str, lang: str) -> str:
    """The spreadsheet layout of the admin's language: French Excel wants `;`, a decimal comma and a BOM."""
    layout = admin_exports.SPREADSHEET_EN if lang == "en" else admin_exports.SPREADSHEET_FR
    with session_scope() as session:
        if kind == "sales":
            return admin_exports.sales_csv(session, layout=layout)
        return admin_exports.admissions_csv(session, layout=layout)


class AdminDashboardState(AdminState):
    """/admin: figures for the KPI cards and the three charts."""

    kpis: dict[str, Any] = {}
    by_type: list[dict[str, Any]] = []
    per_day: list[dict[str, Any]] = []
    admissions: list[dict[str, Any]] = []
    resale: dict[str, Any] = {}  # official resale: listings open, sold, fees earned, refunded to sellers
    loaded: bool = False
    refreshed_at: str = ""

    def _clear(self) -> None:
        self.kpis, self.by_type, self.per_day, self.admissions, self.loaded = {}, [], [], [], False
        self.resale = {}

    @rx.event
    async def load(self):
        """The page's on_load (run inside on_load_internal; it also shows the display identity): administrators
        only, every figure read in the same thread hop as the identity, then the live `admin` room (changes are
        pushed to it by `state.admin_live`)."""
        info, data = await self.identify_then(shared_dashboard, roles=(Role.ADMIN,))
        self._show_identity(info)
        granted = info is not None and info.role == Role.ADMIN.value and data is not None
        self.access = "granted" if granted else "denied"
        self.admin_name = info.first_name if granted else ""
        if not granted:
            self._clear()
            return
        self.kpis, self.by_type = data["kpis"], data["by_type"]
        self.per_day, self.admissions, self.resale = data["per_day"], data["admissions"], data["resale"]
        self.loaded = True
        self.refreshed_at = paris(utcnow()).strftime("%H:%M:%S")
        await hub.join(self.router.session.session_id, TOPIC)

    @rx.event
    async def export_csv(self, kind: str, lang: str = "fr"):
        """Download the sales ("sales") or admissions ("admissions") CSV, laid out for a spreadsheet in `lang`."""
        if await self._admin() is None:
            self._clear()
            return None
        kind = "sales" if kind == "sales" else "admissions"
        data = await asyncio.to_thread(_export, kind, "en" if lang == "en" else "fr")
        name = "ventes" if kind == "sales" else "entrees"
        return rx.download(data=data, filename=f"{name}-{utcnow():%Y%m%d-%H%M}.csv")
