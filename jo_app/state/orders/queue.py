"""Waiting-room page state (/file-attente/<on-sale id>): join, place, wait, and the pass once admitted.

The pass stays on the server (`_passes`, a backend var: never sent to the browser); the cart and checkout states
hand it to the services. Live: the page joins its on-sale's room (state/orders/queue_live.py) and receives one broadcast
per tick for everyone; the browser computes its own wait from its place. When the broadcast shows its place let in,
the page calls `admit`, which re-reads the place in the database before issuing a pass, then sends the visitor to
the shop. At the opening, each early visitor's page asks once for its drawn place (`refresh`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from jo_app.db import session_scope
from jo_app.i18n import error_key
from jo_app.services.errors import DomainError
from jo_app.services.orders import onsales, queue_pass, waiting_room
from jo_app.state.auth import AuthState
from jo_app.state.client_input import as_int
from jo_app.state.orders import queue_live
from jo_app.state.orders.cart import iso_utc, login_redirect
from jo_app.timeutil import utcnow


def _status(action: str, user_id: int, onsale_id: int) -> dict[str, Any]:
    with session_scope() as session:  # (no tick here: every worker ticks each second, state/orders/queue_live.py)
        if action == "join":
            found = waiting_room.join(session, user_id, onsale_id)
        else:
            found = waiting_room.status(session, user_id, onsale_id)
        return {"state": found.state, "position": found.position or 0, "ahead": found.ahead or 0,
                "wait": found.estimated_wait_seconds if found.estimated_wait_seconds is not None else -1,
                "opens_at": iso_utc(found.opens_at), "pass": found.pass_token or "",
                "pass_until": iso_utc(found.pass_expires_at),
                "event_ids": onsales.event_ids(session, onsale_id)}


class QueueState(AuthState):
    """One visitor's place in a queued on-sale (display copies; the database is the truth)."""

    onsale_id: int = 0
    state: str = ""  # not_joined | before_opening | waiting | admitted | pass_expired | closed
    position: int = 0
    ahead: int = 0
    wait_seconds: int = -1  # -1: unknown (paused)
    wait_minutes: int = -1
    event_id: int = 0  # where "enter the shop" leads (0: the catalogue, for a group of sessions)
    opens_at: str = ""
    pass_until: str = ""
    error_code: str = ""
    _passes: dict[str, str] = {}  # on-sale id -> pass token (backend only)

    def _apply(self, onsale_id: int, data: dict[str, Any]) -> None:
        self.onsale_id, self.state = onsale_id, data["state"]
        self.position, self.ahead, self.wait_seconds = data["position"], data["ahead"], data["wait"]
        self.opens_at, self.pass_until = data["opens_at"], data["pass_until"]
        self.wait_minutes = -1 if data["wait"] < 0 else max(1, -(-data["wait"] // 60))
        self.event_id = data["event_ids"][0] if len(data["event_ids"]) == 1 else 0
        passes = dict(self._passes)
        if data["pass"]:
            passes[str(onsale_id)] = data["pass"]
        else:
            passes.pop(str(onsale_id), None)
        self._passes = passes

    def _has_pass(self, onsale_id: int, user_id: int) -> bool:
        """Whether this client holds a valid pass of this account for the on-sale."""
        return queue_pass.is_valid(self._passes.get(str(onsale_id)), onsale_id, user_id, utcnow())

    def _pass_list(self) -> list[str]:
        """The passes this client holds (for the cart and checkout services)."""
        return list(self._passes.values())

    def shop_path(self) -> str:
        return f"/billetterie/{self.event_id}" if self.event_id else "/billetterie"

    async def _call(self, action: str):
        user = await self.require_user()
        raw = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        onsale_id = as_int(raw) if action == "load" or not self.onsale_id else self.onsale_id
        if user is None:
            return login_redirect(f"/file-attente/{raw}")
        self.error_code = ""
        if onsale_id is None:
            self.error_code, self.state = "err.onsale_not_found", ""
            return None
        try:
            data = await asyncio.to_thread(_status, "join" if action == "join" else "get", user.user_id, onsale_id)
        except DomainError as error:
            self.error_code, self.state = error_key(error.code), ""
            return None
        was = self.state
        self._apply(onsale_id, data)
        sid = self.router.session.session_id
        if action in ("load", "join"):
            await queue_live.link(sid, onsale_id)
        if self.state == "waiting":  # its board is sent to it at once when its place is let in (big rooms)
            queue_live.place(sid, onsale_id, self.position)
        if action == "admit" and was == "waiting" and self.state == "admitted":
            return rx.redirect(self.shop_path())  # let in: straight to the shop
        return None

    @rx.event
    async def load(self):
        """on_load: this account's place (joining is a click) and the on-sale's live numbers."""
        return await self._call("load")

    @rx.event
    async def join(self):
        return await self._call("join")

    @rx.event
    async def refresh(self):
        """This account's place again (the page calls it once at the opening: the drawn place)."""
        return await self._call("get")

    @rx.event
    async def admit(self):
        """The broadcast shows this page's place let in: check it in the database, take the pass, go to the shop.
        Called early (or forged), it changes nothing: the database says the place still waits."""
        return await self._call("admit")
