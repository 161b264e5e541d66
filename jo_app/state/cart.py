"""Cart state: the navbar badge count, the cart page lines, and add / change / remove.

Always the cart of the user resolved from the session cookie (`require_user()`); a user id never comes from the
client. Offer ids and quantities from the client are only looked up within that user's cart by the service.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import reflex as rx

from jo_app.config import get_settings
from jo_app.db import session_scope
from jo_app.services import cart as cart_service
from jo_app.services.cart import CartView
from jo_app.services.errors import DomainError
from jo_app.state.auth import AuthState
from jo_app.state.shop_format import as_int, error_key, labels

LOGIN_PATH = "/connexion"


def login_redirect(next_path: str) -> rx.event.EventSpec:
    """Send an anonymous visitor to the login page, coming back to `next_path` afterwards."""
    return rx.redirect(f"{LOGIN_PATH}?next={quote(next_path, safe='/')}")


def _line_row(line) -> dict[str, Any]:
    return {
        "offer_id": line.offer_id, "event_id": line.event_id, "event_title": line.event_title,
        "sport": line.sport, "venue": line.venue, "offer_title": line.offer_title, "offer_type": line.offer_type,
        "persons": line.persons, "quantity": line.quantity, "seats_left": line.seats_left,
        "problem": line.problem or "", **labels("date", moment=line.starts_at),
        **labels("unit", cents=line.unit_price_cents), **labels("line_total", cents=line.line_total_cents),
    }


def view_dict(view: CartView) -> dict[str, Any]:
    return {
        "lines": [_line_row(line) for line in view.lines], "count": view.count, "persons": view.persons,
        "total_cents": view.total_cents, "can_checkout": view.can_checkout, **labels("total", cents=view.total_cents),
    }


def _run(action: str, user_id: int, offer_id: int | None = None, quantity: int | None = None) -> dict[str, Any]:
    with session_scope() as session:
        if action == "add":
            view = cart_service.add_item(session, user_id, offer_id, quantity)
        elif action == "set":
            view = cart_service.set_quantity(session, user_id, offer_id, quantity)
        elif action == "remove":
            view = cart_service.remove_item(session, user_id, offer_id)
        else:
            view = cart_service.get_cart(session, user_id)
        return view_dict(view)


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

    def _apply(self, data: dict[str, Any]) -> None:
        self.lines = data["lines"]
        self.count = data["count"]
        self.persons = data["persons"]
        self.total_fr, self.total_en = data["total_fr"], data["total_en"]
        self.can_checkout = data["can_checkout"]
        self.loaded = True

    def _clear(self) -> None:
        self.lines, self.count, self.persons, self.can_checkout, self.loaded = [], 0, 0, False, True
        self.total_fr = self.total_en = ""

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

    async def _change(self, action: str, offer_id: Any, quantity: Any = None, next_path: str = "/panier"):
        user = await self.require_user()
        if user is None:
            return login_redirect(next_path)
        offer = as_int(offer_id)
        number = as_int(quantity) if quantity is not None else None
        self.error_code, self.error_offer_id, self.added_offer_id = "", offer or 0, 0
        if offer is None or (action != "remove" and number is None):
            self.error_code = "err.shop.invalid_quantity"
            return None
        try:
            self._apply(await asyncio.to_thread(_run, action, user.user_id, offer, number))
        except DomainError as error:
            self.error_code = error_key(error.code)
            return None
        if action == "add":
            self.added_offer_id = offer
        return None

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
