"""Admin audit log viewer (filters actor / action / dates, pagination) and anomaly panel."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any

import reflex as rx

from jo_app.db import session_scope
from jo_app.services import admin_reports
from jo_app.state.admin_common import AdminState
from jo_app.state.client_input import as_int, clean_text
from jo_app.state.shop_format import labels, paris_stamp

PER_PAGE = 25


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _query(filters: dict[str, str], page: int) -> dict[str, Any]:
    with session_scope() as session:
        result = admin_reports.query_audit(
            session, actor=filters["actor"] or None, action=filters["action"] or None,
            date_from=_date(filters["date_from"]), date_to=_date(filters["date_to"]), page=page, per_page=PER_PAGE)
        actions = admin_reports.audit_actions(session)
    entries = [{"id": e.id, "at": paris_stamp(e.created_at), "actor": e.actor_email or (
        f"#{e.actor_id}" if e.actor_id else "—"), "action": e.action,
        "target": f"{e.target_type} {e.target_id}".strip(), "ip": e.client_ip,
        "details": json.dumps(e.details, ensure_ascii=False, sort_keys=True)[:300]} for e in result.entries]
    return {"entries": entries, "total": result.total, "page": result.page, "pages": result.pages,
            "actions": actions}


def _anomalies() -> dict[str, list[dict[str, Any]]]:
    with session_scope() as session:
        found = admin_reports.detect_anomalies(session)

    def span(item: dict) -> dict[str, str]:
        return {**labels("first", moment=item["first_at"]), **labels("last", moment=item["last_at"])}

    return {
        "logins": [{"kind": "email", "key": b["email"], "count": b["count"], "total": b["total"], **span(b)}
                   for b in found["failed_logins_by_email"]]
        + [{"kind": "ip", "key": b["client_ip"], "count": b["count"], "total": b["total"], **span(b)}
           for b in found["failed_logins_by_ip"]],
        "scans": [{"gate": b["gate"], "count": b["count"], "total": b["total"], **span(b)}
                  for b in found["invalid_scan_bursts"]],
        "tickets": [{"number": t["ticket_number"], "gates": ", ".join(t["gates"]), "attempts": t["attempts"],
                     "verdicts": ", ".join(t["verdicts"]), **span(t)} for t in found["multi_gate_tickets"]],
    }


class AdminAuditState(AdminState):
    """/admin/journal."""

    actor: str = ""
    action: str = ""
    date_from: str = ""
    date_to: str = ""
    page: int = 1
    pages: int = 1
    total: int = 0
    entries: list[dict[str, Any]] = []
    actions: list[str] = []
    login_bursts: list[dict[str, Any]] = []
    scan_bursts: list[dict[str, Any]] = []
    multi_gate: list[dict[str, Any]] = []

    def _clear(self) -> None:
        self.entries, self.actions, self.login_bursts, self.scan_bursts, self.multi_gate = [], [], [], [], []
        self.total, self.page, self.pages = 0, 1, 1

    def _filters(self) -> dict[str, str]:
        return {"actor": self.actor, "action": self.action, "date_from": self.date_from, "date_to": self.date_to}

    async def _query(self) -> None:
        data = await asyncio.to_thread(_query, self._filters(), self.page)
        self.entries, self.total, self.page, self.pages = data["entries"], data["total"], data["page"], data["pages"]
        self.actions = data["actions"]

    @rx.event
    async def load(self):
        if await self._admin() is None:
            self._clear()
            return
        self.page = 1
        await self._query()
        anomalies = await asyncio.to_thread(_anomalies)
        self.login_bursts, self.scan_bursts = anomalies["logins"], anomalies["scans"]
        self.multi_gate = anomalies["tickets"]

    @rx.event
    async def filter(self, form: dict[str, Any]):
        if await self._admin() is None:
            self._clear()
            return
        self.actor = clean_text(form.get("actor"), 120)
        action = clean_text(form.get("action"), 64)
        self.action = "" if action == "all" else action
        self.date_from = clean_text(form.get("date_from"), 10) if _date(clean_text(form.get("date_from"), 10)) else ""
        self.date_to = clean_text(form.get("date_to"), 10) if _date(clean_text(form.get("date_to"), 10)) else ""
        self.page = 1
        await self._query()

    @rx.event
    async def go_page(self, page: int):
        if await self._admin() is None:
            self._clear()
            return
        self.page = max(1, as_int(page) or 1)
        await self._query()
