"""Admin orders: search (reference, e-mail, event), detail, cancellation with refund.

Cancelling goes through `orders.cancel_order` (tickets cancelled, seats released, refund, audit, the customer's
notice queued as a durable job; it commits); its `OrderCancelled` event updates the live stock and dashboards.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx

from jo_app.db import session_scope
from jo_app.i18n import error_key
from jo_app.services.catalog import listing as catalog
from jo_app.services.errors import DomainError
from jo_app.services.orders import history as orders
from jo_app.state.admin_common import AdminState
from jo_app.state.client_input import as_int, clean_text
from jo_app.state.shop_format import labels, paris

log = logging.getLogger(__name__)


def _summary(s) -> dict[str, Any]:
    return {"reference": s.reference, "email": s.email, "status": s.status, "packs": s.packs,
            "persons": s.persons, **labels("total", cents=s.total_cents), **labels("created", moment=s.created_at)}


def _search(text: str, event_id: int | None) -> list[dict[str, Any]]:
    with session_scope() as session:
        return [_summary(s) for s in orders.search_orders(session, text=text or None, event_id=event_id, limit=100)]


def _event_choices() -> list[dict[str, str]]:
    with session_scope() as session:
        cards = catalog.list_events(session, include_unpublished=True)
    return [{"id": str(c.id), "title": f"{c.title} · {paris(c.starts_at):%d/%m %H:%M}"} for c in cards]


def _detail(reference: str) -> dict[str, Any] | None:
    with session_scope() as session:
        try:
            d = orders.get_order_admin(session, reference)
        except DomainError:
            return None
    lines = [{"event_title": line.event_title, "offer_title": line.offer_title, "offer_type": line.offer_type,
              "quantity": line.quantity, "persons": line.persons, **labels("date", moment=line.event_starts_at),
              **labels("line_total", cents=line.line_total_cents)} for line in d.lines]
    tickets = [{"number": t.number, "event_title": t.event_title, "persons": t.persons, "status": t.status,
                "used_gate": t.used_gate or "", **labels("used_at", moment=t.used_at)} for t in d.tickets]
    used = sum(1 for t in d.tickets if t.status == "used")
    return {**_summary(d.summary), "user_id": d.summary.user_id, "card_last4": d.card_last4 or "", "used_count": used,
            "payment_reference": d.payment_reference or "", "lines": lines, "tickets": tickets,
            "event_ids": sorted({line.event_id for line in d.lines})}


def _cancel(actor_id: int, reference: str, reason: str, client_ip: str | None, override_used: bool = False) -> str:
    """Cancel; returns the outcome "done" / "already". Mails (a durable job) only when this call cancelled."""
    with session_scope() as session:
        before = orders.get_order_admin(session, reference)
        if before.summary.status == "cancelled":
            return "already"
        orders.cancel_order(session, actor_id, reference, reason=reason, client_ip=client_ip,
                            override_used=override_used, mail_customer=True)
    return "done"


class AdminOrdersState(AdminState):
    """/admin/commandes."""

    query: str = ""
    event_filter: str = ""
    event_choices: list[dict[str, str]] = []
    results: list[dict[str, Any]] = []
    searched: bool = False
    order: dict[str, Any] = {}
    confirm_cancel: bool = False
    message: str = ""
    error: str = ""

    def _clear(self) -> None:
        self.results, self.order, self.event_choices, self.message, self.error = [], {}, [], "", ""

    @rx.event
    async def load(self):
        if await self._admin() is None:
            self._clear()
            return
        self.message = self.error = ""
        self.event_choices = await asyncio.to_thread(_event_choices)
        reference = clean_text(self.router.url.query_parameters.get("ref", ""), 20)
        await self._search()
        if reference:
            await self._open(reference)

    async def _search(self) -> None:
        event_id = as_int(self.event_filter)
        self.results = await asyncio.to_thread(_search, self.query, event_id)
        self.searched = True

    async def _open(self, reference: str) -> None:
        detail = await asyncio.to_thread(_detail, reference)
        self.order, self.confirm_cancel = detail or {}, False
        if detail is None:
            self.error = "err.order_not_found"

    @rx.event
    async def search(self, form: dict[str, Any]):
        if await self._admin() is None:
            self._clear()
            return
        self.query = clean_text(form.get("q"), 100)
        event = clean_text(form.get("event"), 12)
        self.event_filter = event if as_int(event) else ""
        self.message = self.error = ""
        await self._search()

    @rx.event
    async def open_order(self, reference: str):
        if await self._admin() is None:
            self._clear()
            return
        self.message = self.error = ""
        await self._open(clean_text(reference, 20))

    @rx.event
    async def close_order(self):
        if await self._admin() is None:
            self._clear()
            return
        self.order, self.confirm_cancel = {}, False

    @rx.event
    async def ask_cancel(self):
        if await self._admin() is None:
            return
        self.confirm_cancel = True

    @rx.event
    async def cancel_order(self, form: dict[str, Any]):
        """Cancel the open order with the given reason (refund, seats released, customer e-mailed). An order with
        used tickets needs the form's `override_used` box ticked and a reason (the service checks both)."""
        admin = await self._admin()
        if admin is None or not self.order:
            return
        reference = self.order["reference"]
        override = str(form.get("override_used", "") or "").lower() in ("on", "true", "1")  # "on" or a ref's True
        try:
            reason = clean_text(form.get("reason"), 500)
            outcome = await asyncio.to_thread(_cancel, admin.user_id, reference, reason, self._client_ip(), override)
        except DomainError as exc:
            # A missing override reason keeps the form open; any other refusal closes it.
            self.error = error_key(exc)
            self.confirm_cancel = exc.code == "override_reason_required"
            return
        await self._open(reference)
        await self._search()
        self.error = ""
        self.message = {"done": "msg.admin.order_cancelled", "already": "msg.admin.order_already_cancelled"}[outcome]
