"""The employee gate page: camera / keyboard-wedge / manual scans, verdict overlay, recent scans, live counters.

Security: every public handler of `GateState` starts with `require_user(Role.EMPLOYEE, Role.ADMIN)` (session cookie
and role re-read from the database) and uses the database user id; the service re-checks the role again. Nothing
private is loaded before that check, so a visitor's or an anonymous client's state stays empty.

Live counters: `GateState.configure` (after the role check) puts the device's socket in the live room
`gate:<event id>` and loads the counters into its `GateLiveState` (jo_app.state.gate.live). Every admitted scan
updates the scanning device's own counters; the gate service's `TicketScanned` event (`jo_app.wiring`) notifies
"gate:<event id>" and "admin" after its commit. Manual entry (typed numbers, keyboard-wedge readers) is mixed in
from jo_app.state.gate.manual_entry.

Cost of opening the page (issue 12): `on_load` runs inside Reflex's `on_load_internal` (`inline_load`, one event
instead of four) and resolves the identity and reads the controllable sessions in one thread hop and one database
session (the list is shared by the devices of a process for a few seconds, returned only after each one's role
check); `configure` takes the chosen session's label from that list (a session not in it is looked up) and the
counters from the read shared by the devices joining the event together (`state.gate.live.shared_counts`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import reflex as rx

from jo_app.db import session_scope
from jo_app.i18n import LangState, text
from jo_app.live import hub, public_cache
from jo_app.models import Role
from jo_app.services.accounts.sessions import SessionInfo
from jo_app.services.errors import DomainError
from jo_app.services.gate import admission as gate_service
from jo_app.services.gate import schedule as gate_events
from jo_app.services.gate.admission import ScanResult
from jo_app.state.auth import AuthState
from jo_app.state.gate.live import GateLiveState, live_topic, read_counts, shared_counts
from jo_app.state.gate.manual_entry import MAX_PAYLOAD, GateManualEntry
from jo_app.state.gate.view import feedback_script, verdict_both
from jo_app.timeutil import utcnow

log = logging.getLogger(__name__)

STAFF = (Role.EMPLOYEE, Role.ADMIN)
STAFF_ROLES = frozenset(role.value for role in STAFF)
EVENTS_KEY = ("gate-events",)  # in the process's shared cache (cleared at each catalogue change); staff only
DEBOUNCE_SECONDS = 3.0
RECENT_MAX = 10
VERDICT_SECONDS = 1.8


# --- blocking helpers (run in a thread) ---------------------------------------------------------------------

def _read_events(session) -> list[dict[str, str]]:
    return [{"id": str(e.id), "label": f"{e.starts_local} — {e.title} ({e.venue})", "open": "1" if e.gates_open else ""}
            for e in gate_events.controllable_events(session)]


def _staff_events(session, _user_id: int) -> list[dict[str, str]]:
    """The sessions a gate can control, shared by the devices of this process for PUBLIC_CACHE_SECONDS at most and
    forgotten at every catalogue change (`public_cache`); only called after the caller's role check."""
    return public_cache.shared(EVENTS_KEY, lambda: _read_events(session))


def _events() -> list[dict[str, str]]:
    with session_scope() as session:
        return _staff_events(session, 0)


def _event_title(event_id: int) -> str | None:
    with session_scope() as session:
        return gate_events.event_title(session, event_id)


def _validate(payload: str, employee_id: int, gate: str, event_id: int) -> ScanResult:
    with session_scope() as session:
        return gate_service.validate_scan(session, payload, employee_id=employee_id, gate=gate, event_id=event_id)


# --- states --------------------------------------------------------------------------------------------------

class GateState(GateManualEntry, AuthState):
    """One employee device at one gate."""

    allowed: bool = False  # display only: the role is re-checked by every handler
    checked: bool = False
    events: list[dict[str, str]] = []
    gate_name: str = ""
    event_id: int = 0
    event_label: str = ""
    configured: bool = False
    setup_error: str = ""
    notice: str = ""
    camera_on: bool = True
    camera_error: str = ""
    verdict: dict[str, str] = {}
    verdict_visible: bool = False
    verdict_seq: int = 0
    recent: list[dict[str, str]] = []

    _last_seen: dict[str, float] = {}

    async def _staff(self):
        info = await self.require_user(*STAFF)
        if info is None:
            self._deny()
        return info

    def _deny(self) -> None:
        self.allowed = False
        self.checked = True
        self.configured = False
        self.events = []
        self.recent = []
        self.manual_candidates = []
        self._manual_ids = []
        self.verdict = {}
        self.verdict_visible = False

    async def _lang(self) -> str:
        return (await self.get_state(LangState)).current_lang

    @rx.event
    async def on_load(self):
        """The page's on_load (run inside on_load_internal; it also shows the display identity): check the role
        and load the sessions the gate can control, in one thread hop; re-link a configured device."""
        info, events = await self.identify_then(_staff_events, roles=STAFF)
        self._show_identity(info)
        if info is None or info.role not in STAFF_ROLES or events is None:
            self._deny()
            return
        self.allowed = True
        self.checked = True
        # A (re)loaded page asks for the camera again: an error of an earlier document is stale.
        self.camera_error = ""
        self.camera_on = True
        self.events = events
        if self.configured and self.event_id:
            await self._link(self.event_id)

    @rx.event
    async def configure(self, form: dict[str, Any]):
        """Choose the gate name and the session (the form's `gate` and `event_id` fields)."""
        if await self._staff() is None:
            return
        lang = await self._lang()
        form = form if isinstance(form, dict) else {}
        gate = str(form.get("gate", "") or "").strip()
        if not 1 <= len(gate) <= gate_service.GATE_MAX_LENGTH:
            self.setup_error = text("gate.err_gate", lang)
            return
        try:
            event_id = int(str(form.get("event_id", "") or "0"))
        except ValueError:
            event_id = 0
        # A session of the list this device loaded (after its role check) needs no read; any other must exist.
        label = next((e["label"] for e in self.events if e["id"] == str(event_id)), None) if event_id > 0 else None
        if label is None and event_id > 0:
            label = await asyncio.to_thread(_event_title, event_id)
        if label is None:
            self.setup_error = text("gate.err_event", lang)
            return
        self.gate_name, self.event_id, self.event_label = gate, event_id, label
        self.setup_error = ""
        self.notice = ""
        self.configured = True
        self.camera_on = True
        self._last_seen = {}
        await self._link(event_id)

    @rx.event
    async def reconfigure(self):
        """Back to the gate / session choice."""
        if await self._staff() is None:
            return
        self.configured = False
        self.events = public_cache.peek(EVENTS_KEY) or await asyncio.to_thread(_events)

    async def _link(self, event_id: int) -> None:
        """Join the event's live room, then show its counters (one read shared by the devices joining together)."""
        await hub.join(self.router.session.session_id, live_topic(event_id), leave_prefix=True)
        live = await self.get_state(GateLiveState)
        live._apply(event_id, await shared_counts(event_id))

    @rx.event
    async def scan(self, codes: list[str]):
        """Codes decoded by the camera. The same code seen again within DEBOUNCE_SECONDS is ignored."""
        info = await self._staff()
        if info is None or not isinstance(codes, list):
            return
        payload = next((c.strip() for c in codes if isinstance(c, str) and c.strip()), "")
        if not payload:
            return
        now = time.monotonic()
        last = self._last_seen.get(payload)
        seen = {p: t for p, t in self._last_seen.items() if now - t < DEBOUNCE_SECONDS}
        seen[payload] = now
        self._last_seen = dict(list(seen.items())[-20:])
        if last is not None and now - last < DEBOUNCE_SECONDS:
            return
        return await self._check(info, payload)

    def _ready(self, lang: str) -> bool:
        if not self.configured or not self.gate_name or not self.event_id:
            self.notice = text("gate.err_setup", lang)
            return False
        return True

    async def _check(self, info: SessionInfo, payload: str):
        """Validate through the service (the role was checked by the caller) and show the verdict."""
        lang = await self._lang()
        if not self._ready(lang):
            return
        try:
            result = await asyncio.to_thread(_validate, payload[:MAX_PAYLOAD], info.user_id, self.gate_name,
                                             self.event_id)
        except DomainError as exc:
            log.warning("gate scan refused: %s", exc)
            self.notice = text("gate.err_busy", lang)
            return
        self.notice = ""
        return await self._show(result, lang)

    async def _show(self, result: ScanResult, lang: str):
        """The verdict overlay, the recent list, the live counters and the feedback for `result`."""
        view = verdict_both(result, lang)
        self.verdict = view
        self.verdict_visible = True
        self.verdict_seq += 1
        entry = {"seq": str(self.verdict_seq), "time": gate_events.local_time(utcnow(), "%H:%M:%S"),
                 "kind": view["kind"], "title": view["title"], "title_fr": view["title_fr"],
                 "title_en": view["title_en"], "ticket": view["ticket"], "persons": view["persons"]}
        self.recent = [entry, *self.recent][:RECENT_MAX]
        if result.admitted:
            counts = await asyncio.to_thread(read_counts, self.event_id)
            live = await self.get_state(GateLiveState)
            live._apply(self.event_id, counts)  # this device at once; the others by the service's TicketScanned
        return [rx.call_script(feedback_script(view["kind"])), GateState.hide_verdict(self.verdict_seq)]

    @rx.event(background=True)
    async def hide_verdict(self, seq: int):
        """Close the overlay after VERDICT_SECONDS unless a newer verdict replaced it."""
        await asyncio.sleep(VERDICT_SECONDS)
        async with self:
            if await self.require_user(*STAFF) is None:
                self._deny()
                return
            if self.verdict_seq == seq and self.verdict_visible:
                self.verdict_visible = False

    @rx.event
    async def dismiss(self):
        """Close the overlay now (tap)."""
        if await self._staff() is None:
            return
        self.verdict_visible = False

    @rx.event
    async def toggle_camera(self):
        if await self._staff() is None:
            return
        self.camera_on = not self.camera_on
        self.camera_error = ""

    @rx.event
    async def retry_camera(self):
        """Ask for the camera again (after a refusal or a missing device): the scanner is mounted anew."""
        if await self._staff() is None:
            return
        self.camera_error = ""
        self.camera_on = True

    @rx.event
    async def camera_failed(self, kind: str):
        """The scanner could not start the camera (permission, no device...): manual entry stays available."""
        if await self._staff() is None:
            return
        self.camera_error = text("gate.camera_error", await self._lang(), kind=str(kind)[:40])
        self.camera_on = False  # the button now offers to retry
