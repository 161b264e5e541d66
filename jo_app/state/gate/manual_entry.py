"""Manual entry at the gate (`GateState` mixes it in): text typed by hand or by a keyboard-wedge reader.

A signed code is validated like a camera scan; a printed ticket number or an order reference lists its ticket(s),
and the employee confirms the one to admit (same atomic path as a scan). The host state provides `_staff` (the role
check, first in every handler), `_lang`, `_ready`, `_check` and `_show`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx

from jo_app.db import session_scope
from jo_app.i18n import ntext, text
from jo_app.models import ScanVerdict
from jo_app.services.accounts.sessions import SessionInfo
from jo_app.services.errors import DomainError
from jo_app.services.gate import manual as gate_manual
from jo_app.services.gate.admission import ScanResult

log = logging.getLogger(__name__)

MAX_PAYLOAD = 2000


def _find_manual(code: str, employee_id: int, device_id: int, gate: str, event_id: int) -> gate_manual.ManualLookup:
    with session_scope() as session:
        return gate_manual.find_tickets(session, code, employee_id=employee_id, device_id=device_id, gate=gate,
                                        event_id=event_id)


def _admit_manual(ticket_id: int, employee_id: int, device_id: int, gate: str, event_id: int) -> ScanResult:
    with session_scope() as session:
        return gate_manual.admit_ticket(session, ticket_id, employee_id=employee_id, device_id=device_id, gate=gate,
                                        event_id=event_id)


class GateManualEntry(rx.State, mixin=True):
    """Manual entry vars and handlers (see the module docstring)."""

    # The tickets behind a typed number, waiting for the employee's confirmation.
    manual_candidates: list[dict[str, str]] = []
    _manual_ids: list[int] = []

    @rx.event
    async def submit_manual(self, form: dict[str, Any]):
        """Text typed by hand or by a keyboard-wedge barcode reader (then Enter): a signed code is validated like a
        scan; a printed ticket number or an order reference lists its ticket(s) for the employee to confirm."""
        info = await self._staff()
        if info is None or not isinstance(form, dict):
            return
        payload = str(form.get("code", "") or "").strip()
        if not payload:
            return
        self.manual_candidates, self._manual_ids = [], []
        if gate_manual.looks_signed(payload):
            return await self._check(info, payload)
        return await self._look_up(info, payload)

    async def _look_up(self, info: SessionInfo, code: str):
        lang = await self._lang()
        if not self._ready(lang):
            return
        try:
            found = await asyncio.to_thread(_find_manual, code[:MAX_PAYLOAD], info.user_id, info.session_id,
                                            self.gate_name, self.event_id)
        except gate_manual.TooManyGuessesError:
            self.notice = text("gate.err_too_many", lang)
            return
        except DomainError as exc:
            log.warning("gate manual lookup refused: %s", exc)
            self.notice = text("gate.err_busy", lang)
            return
        self.notice = ""
        if not found.candidates:
            unknown = ScanResult(ScanVerdict.UNKNOWN_TICKET, "No ticket or order with this number.", "manual_unknown",
                                 ticket_number=found.code)
            return await self._show(unknown, lang)
        self._manual_ids = [c.ticket_id for c in found.candidates]
        self.manual_candidates = [{
            "id": str(c.ticket_id), "number": c.number, "holder": c.holder_name, "event": c.event_title,
            "persons": ntext("gate.admit_persons", c.persons, lang, count=c.persons),
            "status": text(f"gate.status.{c.status}", lang),
            "state": c.status if c.event_id == self.event_id else "other_event",
        } for c in found.candidates]

    @rx.event
    async def confirm_manual(self, ticket_id: str):
        """The employee checked the holder: admit this listed ticket (same atomic path as a camera scan)."""
        info = await self._staff()
        if info is None:
            return
        try:
            chosen = int(str(ticket_id))
        except ValueError:
            return
        if chosen not in self._manual_ids:  # only a ticket this device just looked up
            return
        lang = await self._lang()
        if not self._ready(lang):
            return
        self.manual_candidates, self._manual_ids = [], []
        try:
            result = await asyncio.to_thread(_admit_manual, chosen, info.user_id, info.session_id, self.gate_name,
                                             self.event_id)
        except DomainError as exc:
            log.warning("gate manual admission refused: %s", exc)
            self.notice = text("gate.err_busy", lang)
            return
        self.notice = ""
        return await self._show(result, lang)

    @rx.event
    async def cancel_manual(self):
        """Close the confirmation list without admitting anyone."""
        if await self._staff() is None:
            return
        self.manual_candidates, self._manual_ids = [], []
