"""/admin/revente: per session, official resale on/off with its fee, and whether the static (printed) QR is still
accepted at the gate; resale figures. Every handler re-checks the admin role in the database."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jo_app.services.errors import DomainError
from jo_app.services.tickets import ownership_admin, qr_policy, resale
from jo_app.state.account_common import call_service
from jo_app.state.admin_common import AdminState
from jo_app.state.client_input import as_int, clean_text
from jo_app.state.shop_format import labels


def _load(session) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows = [{"id": p.event_id, "title": p.title, "resale": p.resale_enabled, "static_qr": p.static_qr_enabled,
             "fee_pct": f"{p.resale_fee_bps / 100:g}", "listed": p.listed_persons, **labels("date", moment=p.starts_at)}
            for p in ownership_admin.session_policies(session)]
    figures = resale.figures(session)
    return rows, {**figures, **labels("resold", cents=figures["resold_cents"]),
                  **labels("fees", cents=figures["fees_cents"])}


def _save(session, actor_id: int, event_id: int, enabled: bool, fee_bps: int, static_qr: bool,
          client_ip: str | None) -> None:
    resale.set_event_resale(session, actor_id, event_id, enabled=enabled, fee_bps=fee_bps, client_ip=client_ip)
    qr_policy.set_static_qr(session, actor_id, event_id, static_qr, client_ip=client_ip)


def fee_bps(text: str) -> int | None:
    """A fee in percent ("5", "2.5", "2,5") as basis points, 0-50 %; None when invalid."""
    try:
        value = round(float(text.replace(",", ".")) * 100) if text else 0
    except ValueError:
        return None
    return value if 0 <= value <= 5000 else None


class AdminOwnershipState(AdminState):
    sessions: list[dict[str, Any]] = []
    figures: dict[str, Any] = {}
    message: str = ""  # catalogue keys of the page notices
    error: str = ""

    @rx.event
    async def load(self):
        self.message = self.error = ""
        if await self._admin() is None:
            self.sessions, self.figures = [], {}
            return
        self.sessions, self.figures = await call_service(_load)

    @rx.event
    async def save(self, form_data: dict[str, Any]):
        admin = await self._admin()
        if admin is None:
            return
        event_id, fee = as_int(form_data.get("event_id")), fee_bps(clean_text(form_data.get("fee_pct"), 8))
        if event_id is None or fee is None:
            self.message, self.error = "", "err.own_fee"
            return
        try:
            await call_service(_save, admin.user_id, event_id, form_data.get("resale") == "on", fee,
                               form_data.get("static_qr") == "on", self._client_ip())
        except DomainError:
            self.message, self.error = "", "err.own_fee"
            return
        self.message, self.error = "msg.admin.own_saved", ""
        self.sessions, self.figures = await call_service(_load)
