"""Live admin dashboard: the figures are read once per change and per process and pushed to the `admin` room.

The dashboard's on_load (`AdminDashboardState.load`, after the role check from the database) puts the page's socket
in the live room `admin` (jo_app.live); non-administrators never join it. (`AdminLiveState.link` does the same on its
own, for a client that calls it; the page no longer does.) After each sale, cancellation, gate scan, resale listing
or withdrawal, writers call `jo_app.live.notify("admin")`: each process then reads the dashboard figures once (at
most every 0.5 s, so bursts of scans coalesce) and sends one update to its room. Nothing here locks another client's
state.
"""

from __future__ import annotations

import reflex as rx
from reflex.state import StateUpdate

from jo_app.live import TopicSpec, delta_update, hub
from jo_app.models import Role
from jo_app.state.auth import AuthState
from jo_app.timeutil import utcnow

TOPIC = "admin"
DASHBOARD_MIN_INTERVAL = 0.5  # seconds between two pushes of the dashboard figures


class AdminLiveState(rx.State):
    """Joins the admin room for this page (administrators only; no data of its own)."""

    @rx.event
    async def link(self):
        """Follow the live dashboard figures (administrators only; others stay out of the room)."""
        auth = await self.get_state(AuthState)
        if await auth.require_user(Role.ADMIN) is None:
            return
        await hub.join(self.router.session.session_id, TOPIC)


def _dashboard_update(_topic: str) -> StateUpdate:
    from jo_app.state.admin_dashboard import AdminDashboardState, read_dashboard

    data = read_dashboard()
    return delta_update(AdminDashboardState.get_full_name(), {
        "kpis": data["kpis"], "by_type": data["by_type"], "per_day": data["per_day"],
        "admissions": data["admissions"], "resale": data["resale"], "loaded": True,
        "refreshed_at": utcnow().strftime("%H:%M:%S")})


def _forget_shared(topic: str) -> None:
    from jo_app.state.admin_dashboard import forget_shared

    forget_shared(topic)


hub.register(TOPIC, TopicSpec(_dashboard_update, interval=DASHBOARD_MIN_INTERVAL, on_change=_forget_shared))
