"""/admin/file-attente: queued on-sales (virtual waiting room): create one for a session or a group of sessions,
pause, resume, change the admission rate live, end it; live figures. Every handler re-checks the admin role in the
database. The open admin screens join the live room `onsales` (after the role check): each process reads the
figures at most once per queue tick and pushes one update to them; admin changes reach the waiting pages at once.
"""

from __future__ import annotations

import secrets
from datetime import UTC
from typing import Any

import reflex as rx
from reflex.state import StateUpdate

from jo_app.db import session_scope
from jo_app.live import TopicSpec, delta_update, hub
from jo_app.services.catalog import listing as catalog
from jo_app.services.errors import DomainError
from jo_app.services.orders import onsales, waiting_room
from jo_app.state.account_common import call_service
from jo_app.state.admin_common import AdminState, error_key
from jo_app.state.catalog.admin_data import parse_local_datetime
from jo_app.state.client_input import as_int, clean_text
from jo_app.state.orders.queue_live import ADMIN_TOPIC
from jo_app.state.shop_format import labels


def _status(figures: onsales.OnSaleFigures) -> str:
    if figures.closed:
        return "closed"
    if not figures.opened:
        return "scheduled"
    return "paused" if figures.paused else "running"


def _rows(session) -> list[dict[str, Any]]:
    return [{"id": o.onsale_id, "name": o.name, "events": ", ".join(o.events), "pass_minutes": o.pass_minutes,
             "status": _status(o.figures), "rate": o.figures.rate_per_minute, "waiting": o.figures.waiting,
             "admitted": o.figures.admitted, "passes_used": o.figures.passes_used, "held": o.figures.seats_held,
             "sold": o.figures.seats_sold, "drain_minutes": -(-o.figures.drain_seconds // 60),
             **labels("opens", moment=o.opens_at)} for o in onsales.overview(session)]


def read_rows() -> list[dict[str, Any]]:
    with session_scope() as session:
        return _rows(session)


def _events(session) -> list[dict[str, Any]]:
    return [{"id": c.id, "title": c.title, **labels("date", moment=c.starts_at)}
            for c in catalog.list_events(session, include_unpublished=True)]


def _load(session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return _rows(session), _events(session)


def _steer(session, actor_id: int, onsale_id: int, action: str, rate: int | None) -> None:
    waiting_room.tick_if_stale(session, onsale_id, seconds=0)  # the time so far counts as it was
    if action == "rate":
        onsales.set_rate(session, actor_id, onsale_id, rate)
    elif action == "close":
        onsales.close(session, actor_id, onsale_id)
    else:
        onsales.set_paused(session, actor_id, onsale_id, action == "pause")


DONE = {"pause": "msg.admin.onsale_paused", "resume": "msg.admin.onsale_resumed", "close": "msg.admin.onsale_closed",
        "rate": "msg.admin.onsale_rate"}


class AdminOnsalesState(AdminState):
    onsales: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    form_key: str = "new"
    message: str = ""  # catalogue keys of the page notices
    error: str = ""

    @rx.event
    async def load(self):
        self.message = self.error = ""
        if await self._admin() is None:
            self.onsales, self.events = [], []
            return
        self.onsales, self.events = await call_service(_load)
        await hub.join(self.router.session.session_id, ADMIN_TOPIC)

    @rx.event
    async def create(self, form: dict[str, Any]):
        admin = await self._admin()
        if admin is None:
            return
        opens_at = parse_local_datetime(form.get("opens_at"))
        rate, minutes = as_int(clean_text(form.get("rate"), 10)), as_int(clean_text(form.get("pass_minutes"), 10))
        ids = tuple(sorted({i for name, value in form.items() if isinstance(name, str) and name.startswith("event_")
                            and value in ("on", True) and (i := as_int(name[6:])) is not None}))[:200]
        error = ("err.invalid_date" if opens_at is None else "err.invalid_rate" if rate is None
                 else "err.invalid_pass_minutes" if minutes is None
                 else "err.onsale_no_events" if not ids else "")
        if error:
            self.message, self.error = "", error
            return
        data = onsales.OnSaleInput(name=clean_text(form.get("name"), 150), rate_per_minute=rate, pass_minutes=minutes,
                                   opens_at=opens_at.astimezone(UTC).replace(tzinfo=None), event_ids=ids)
        try:
            await call_service(onsales.create_onsale, admin.user_id, data)
        except DomainError as exc:
            self.message, self.error = "", error_key(exc)
            return
        self.message, self.error, self.form_key = "msg.admin.onsale_created", "", f"new-{secrets.token_hex(3)}"
        self.onsales, self.events = await call_service(_load)

    async def _act(self, onsale_id: Any, action: str, rate: int | None = None):
        admin = await self._admin()
        if admin is None:
            return
        target = as_int(onsale_id)
        if target is None:
            self.message, self.error = "", "err.onsale_not_found"
            return
        try:
            await call_service(_steer, admin.user_id, target, action, rate)
        except DomainError as exc:
            self.message, self.error = "", error_key(exc)
            return
        self.message, self.error = DONE[action], ""
        self.onsales = await call_service(_rows)  # (waiting pages: pushed by the OnSaleChanged event)

    @rx.event
    async def pause(self, onsale_id: int):
        return await self._act(onsale_id, "pause")

    @rx.event
    async def resume(self, onsale_id: int):
        return await self._act(onsale_id, "resume")

    @rx.event
    async def close(self, onsale_id: int):
        return await self._act(onsale_id, "close")

    @rx.event
    async def set_rate(self, form: dict[str, Any]):
        """The rate form of one on-sale row: {"onsale_id", "rate"}."""
        rate = as_int(clean_text(form.get("rate"), 10))
        if rate is None or rate < 1:
            if await self._admin() is not None:
                self.message, self.error = "", "err.invalid_rate"
            return None
        return await self._act(form.get("onsale_id"), "rate", rate)


def _rows_update(_topic: str) -> StateUpdate:
    return delta_update(AdminOnsalesState.get_full_name(), {"onsales": read_rows()})


hub.register(ADMIN_TOPIC, TopicSpec(_rows_update, interval=1.0))
