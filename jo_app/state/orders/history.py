"""My orders (list and detail by reference) and my tickets. Only the logged-in user's own objects, ever."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from jo_app.db import session_scope
from jo_app.services.errors import DomainError
from jo_app.services.orders import history as orders
from jo_app.services.orders.history import TicketView
from jo_app.state.auth import AuthState
from jo_app.state.client_input import clean_text
from jo_app.state.orders.cart import login_redirect
from jo_app.state.shop_format import labels
from jo_app.state.tickets.ownership_rows import ticket_extras


def ticket_row(ticket: TicketView) -> dict[str, Any]:
    base = f"/billets/{ticket.id}"
    return {
        "id": ticket.id, "number": ticket.number, "order_reference": ticket.order_reference,
        "event_id": ticket.event_id, "event_title": ticket.event_title, "venue": ticket.event_venue,
        "sport": ticket.sport, "offer_type": ticket.offer_type, "offer_title": ticket.offer_title,
        "persons": ticket.persons, "holder_name": ticket.holder_name, "status": ticket.status,
        "used_gate": ticket.used_gate or "", "qr_url": f"{base}/qr.png", "pdf_url": f"{base}/ticket.pdf",
        "ics_url": f"{base}/event.ics", **labels("date", moment=ticket.event_starts_at),
        **labels("used_at", moment=ticket.used_at), **labels("cancelled_at", moment=ticket.cancelled_at),
    }


def _summary_row(summary) -> dict[str, Any]:
    return {
        "reference": summary.reference, "status": summary.status, "packs": summary.packs,
        "persons": summary.persons, **labels("total", cents=summary.total_cents),
        **labels("created", moment=summary.created_at),
    }


def _list(user_id: int) -> list[dict[str, Any]]:
    with session_scope() as session:
        return [_summary_row(s) for s in orders.list_orders(session, user_id)]


def _detail(user_id: int, reference: str) -> dict[str, Any] | None:
    with session_scope() as session:
        try:
            detail = orders.get_order(session, user_id, reference)
        except DomainError:
            return None
        lines = [{"event_id": line.event_id, "event_title": line.event_title, "offer_title": line.offer_title,
                  "offer_type": line.offer_type, "persons": line.persons, "quantity": line.quantity,
                  **labels("date", moment=line.event_starts_at), **labels("unit", cents=line.unit_price_cents),
                  **labels("line_total", cents=line.line_total_cents)} for line in detail.lines]
        return {**_summary_row(detail.summary), "card_last4": detail.card_last4 or "", "lines": lines,
                "tickets": [ticket_row(t) for t in detail.tickets]}


def _tickets(user_id: int) -> list[dict[str, Any]]:
    with session_scope() as session:
        views = orders.list_tickets(session, user_id)
        extras = ticket_extras(session, user_id, views)  # holder, change deadline, pending transfer
        return [ticket_row(t) | extras.get(t.id, {}) for t in views]


class OrdersState(AuthState):
    """/commandes, /commandes/[reference] and /billets."""

    order_list: list[dict[str, Any]] = []
    order: dict[str, Any] = {}
    order_missing: bool = False
    tickets: list[dict[str, Any]] = []
    loaded: bool = False

    @rx.event
    async def load_orders(self):
        user = await self.require_user()
        if user is None:
            self.order_list = []
            return login_redirect("/commandes")
        self.order_list = await asyncio.to_thread(_list, user.user_id)
        self.loaded = True
        return None

    @rx.event
    async def load_order(self):
        """Detail of the order in the URL; someone else's reference looks exactly like an unknown one."""
        path = self.router.url.path.rstrip("/")
        reference = clean_text(path.rsplit("/", 1)[-1], 20)
        self.order, self.order_missing = {}, False
        user = await self.require_user()
        if user is None:
            return login_redirect(path if path.startswith("/commandes/") else "/commandes")
        detail = await asyncio.to_thread(_detail, user.user_id, reference) if reference else None
        self.order = detail or {}
        self.order_missing = detail is None
        self.loaded = True
        return None

    @rx.event
    async def load_tickets(self):
        user = await self.require_user()
        if user is None:
            self.tickets = []
            return login_redirect("/billets")
        self.tickets = await asyncio.to_thread(_tickets, user.user_id)
        self.loaded = True
        return None
