"""Cart state: the navbar badge count, the cart page lines, add / change / remove / hold again.

Seat holds: the page gets the hold's expiry (ISO, UTC) and counts down in the browser (rx.moment, no server tick);
one background `watch_hold` per client sleeps until the first expiry and then re-reads the cart, so the lines say
that their hold expired. Every change that moves seats pushes the new seats left to the shop pages.

Always the cart of the user resolved from the session cookie (`require_user()`); a user id never comes from the
client. Offer ids and quantities from the client are only looked up within that user's cart by the service.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

import reflex as rx

from jo_app.config import get_settings
from jo_app.db import session_scope
from jo_app.i18n import error_key
from jo_app.services.errors import DomainError
from jo_app.services.orders import cart as cart_service
from jo_app.services.orders import cart_view
from jo_app.services.orders.cart_view import CartView
from jo_app.state.auth import AuthState
from jo_app.state.client_input import as_int
from jo_app.state.shop_format import labels
from jo_app.timeutil import utcnow

LOGIN_PATH = "/connexion"


_REDIRECT = rx.redirect("/")  # built once: `rx.redirect` inspects its own signature at each call (~0.1 ms)


def redirect_to(path: str) -> rx.event.EventSpec:
    """`rx.redirect(path)` (same tab, not external, not replacing the history entry), ~20x cheaper: the spec built once
    with its `path` argument replaced (the payment's redirect to the order page, once per UI order)."""
    return _REDIRECT.with_args(tuple((name, rx.Var.create(path)) if name._js_expr == "path" else (name, value)
                                     for name, value in _REDIRECT.args))


def login_redirect(next_path: str) -> rx.event.EventSpec:
    """Send an anonymous visitor to the login page, coming back to `next_path` afterwards."""
    return rx.redirect(f"{LOGIN_PATH}?next={quote(next_path, safe='/')}")


def iso_utc(moment: datetime | None) -> str:
    """A naive UTC datetime as ISO 8601 with `Z` (what the browser's countdown parses), "" for None."""
    return moment.isoformat(timespec="seconds") + "Z" if moment else ""


def _line_row(line) -> dict[str, Any]:
    return {
        "offer_id": line.offer_id, "event_id": line.event_id, "event_title": line.event_title,
        "sport": line.sport, "venue": line.venue, "offer_title": line.offer_title, "offer_type": line.offer_type,
        "persons": line.persons, "quantity": line.quantity, "seats_left": line.seats_left,
        "hold_expired": line.hold_expired, "hold_until": iso_utc(line.hold_expires_at),
        "problem": line.problem or "", **labels("date", moment=line.starts_at),
        **labels("unit", cents=line.unit_price_cents), **labels("line_total", cents=line.line_total_cents),
    }


def view_dict(view: CartView) -> dict[str, Any]:
    return {
        "lines": [_line_row(line) for line in view.lines], "count": view.count, "persons": view.persons,
        "total_cents": view.total_cents, "can_checkout": view.can_checkout, **labels("total", cents=view.total_cents),
        "hold_expires_at": iso_utc(view.hold_expires_at),
        "hold_seconds": max(0, int((view.hold_expires_at - utcnow()).total_seconds())) if view.hold_expires_at else 0,
    }


def _change_in(session, user_id: int, action: str, offer_id: int | None = None, quantity: int | None = None,
               passes: list[str] | None = None) -> dict[str, Any]:
    if action == "add":
        view = cart_service.add_item(session, user_id, offer_id, quantity, queue_pass=passes)
    elif action == "set":
        view = cart_service.set_quantity(session, user_id, offer_id, quantity, queue_pass=passes)
    elif action == "remove":
        view = cart_service.remove_item(session, user_id, offer_id)
    elif action == "rehold":
        view = cart_service.rehold(session, user_id, offer_id, queue_pass=passes)
    else:
        view = cart_view.get_cart(session, user_id)
    return view_dict(view)


def _run(action: str, user_id: int, offer_id: int | None = None, quantity: int | None = None) -> dict[str, Any]:
    with session_scope() as session:
        return _change_in(session, user_id, action, offer_id, quantity)


def _count(user_id: int) -> int:
    with session_scope() as session:
        return cart_service.cart_count(session, user_id)


class CartState(AuthState):
    """The current user's cart (display copies; the database is the truth)."""

    count: int = 0
    lines: list[dict[str, Any]] = []
    persons: int = 0
    total_fr: str = ""
    total_en: str = ""
    can_checkout: bool = False
    loaded: bool = False
    error_code: str = ""  # catalogue key of the last refused change, shown near the cart / pack
    error_offer_id: int = 0
    added_offer_id: int = 0  # last pack added (confirmation next to its button)
    max_packs: int = 6  # quantity picker bound (purchase limit per event and order)
    hold_expires_at: str = ""  # ISO UTC of the first live hold ("" when none): the countdown's target
    has_expired_hold: bool = False  # a line's seats are no longer held
    _hold_deadline: float = 0.0  # monotonic time of that expiry, for the watcher
    _watching: bool = False
    _watch_gen: int = 0
    _watch_target: float = 0.0  # the deadline the live watcher wakes up for

    def _apply(self, data: dict[str, Any]) -> None:
        """Show the cart `data` (`view_dict`); only what changed is sent (the payment page shows the cart the add
        just showed)."""
        if data["hold_expires_at"] != self.hold_expires_at or not self._hold_deadline:  # same expiry: same deadline
            self._hold_deadline = time.monotonic() + data["hold_seconds"] if data["hold_expires_at"] else 0.0
        self._assign(lines=data["lines"], count=data["count"], persons=data["persons"], total_fr=data["total_fr"],
                     total_en=data["total_en"], can_checkout=data["can_checkout"],
                     hold_expires_at=data["hold_expires_at"],
                     has_expired_hold=any(line["hold_expired"] for line in data["lines"]), loaded=True)

    def _clear(self) -> None:
        self.lines, self.count, self.persons, self.can_checkout, self.loaded = [], 0, 0, False, True
        self.total_fr = self.total_en = self.hold_expires_at = ""
        self.has_expired_hold = False
        self._hold_deadline = 0.0

    def _watch(self):
        """The event that starts an expiry watcher: when something is held and no watcher already wakes up by the
        first expiry (a newer watcher replaces one sleeping longer); None otherwise."""
        if not self._hold_deadline or (self._watching and self._watch_target <= self._hold_deadline):
            return None
        return CartState.watch_hold

    @rx.event(background=True)
    async def watch_hold(self):
        """Sleep until the first hold expires, then re-read the cart (one wake-up per expiry, not a tick per
        second). One live watcher per client (a newer one makes the older one stop); harmless when called by
        hand: it only re-reads this user's cart."""
        async with self:
            if not self._hold_deadline or (self._watching and self._watch_target <= self._hold_deadline):
                return
            self._watch_gen += 1
            generation, self._watching, self._watch_target = self._watch_gen, True, self._hold_deadline
        try:
            while True:
                async with self:
                    if self._watch_gen != generation or not self._hold_deadline:
                        return
                    self._watch_target = self._hold_deadline
                    delay = self._hold_deadline - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(min(delay + 0.5, 3600))
                    continue
                async with self:
                    user = await self.require_user()
                if user is None:
                    return
                data = await asyncio.to_thread(_run, "get", user.user_id)
                async with self:
                    self._apply(data)
                    checkout = await self.get_state(_checkout_state())
                    checkout.lines, checkout.can_checkout = data["lines"], data["can_checkout"]
        finally:
            async with self:
                if self._watch_gen == generation:
                    self._watching = False

    @rx.event
    async def load_count(self):
        """Badge: the number of packs in the user's cart (0 when anonymous)."""
        user = await self.require_user()
        self.count = await asyncio.to_thread(_count, user.user_id) if user else 0

    @rx.event
    async def load(self):
        """Cart page on_load."""
        self.error_code = ""
        self.max_packs = get_settings().max_packs_per_event_per_order
        user = await self.require_user()
        if user is None:
            self._clear()
            return login_redirect("/panier")
        self._apply(await asyncio.to_thread(_run, "get", user.user_id))
        return self._watch()

    async def _change(self, action: str, offer_id: Any, quantity: Any = None, next_path: str = "/panier"):
        offer = as_int(offer_id)
        number = as_int(quantity) if quantity is not None else None
        if offer is None or (action in ("add", "set") and number is None):
            if await self.require_user() is None:
                return login_redirect(next_path)
            self.error_code, self.error_offer_id, self.added_offer_id = "err.invalid_quantity", offer or 0, 0
            return None
        passes = (await self.get_state(_queue_state()))._pass_list()  # waiting-room passes (server side only)
        try:  # identity re-read from the database and the change, in one session
            user, data = await self.run_as_user(_change_in, action, offer, number, passes)
        except DomainError as error:
            self.error_code, self.error_offer_id, self.added_offer_id = error_key(error.code), offer, 0
            return None
        if user is None:
            return login_redirect(next_path)
        self._assign(error_code="", error_offer_id=offer, added_offer_id=offer if action == "add" else 0)
        self._apply(data)
        return self._watch()

    @rx.event
    async def add(self, offer_id: int, quantity: int, next_path: str = "/billetterie"):
        """Add packs of an offer to the cart (session page)."""
        path = next_path if isinstance(next_path, str) and next_path.startswith("/billetterie") else "/billetterie"
        return await self._change("add", offer_id, quantity, path)

    @rx.event
    async def set_quantity(self, offer_id: int, quantity: int | str):
        return await self._change("set", offer_id, quantity)

    @rx.event
    async def remove(self, offer_id: int):
        return await self._change("remove", offer_id)

    @rx.event
    async def rehold(self, offer_id: int):
        """"Try again" on a line whose hold expired: hold its seats again if they are still there."""
        return await self._change("rehold", offer_id)


def _queue_state() -> type[rx.State]:
    from jo_app.state.orders.queue import QueueState  # imports this module

    return QueueState


def _checkout_state() -> type[rx.State]:
    from jo_app.state.orders.checkout import CheckoutState  # imports this module

    return CheckoutState
