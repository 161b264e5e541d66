"""Live stock and shop handlers over the raw Reflex websocket (`/_event`), the way a script or an attacker talks to
the server: no browser, plain python-socketio clients.

- Clients linked to the shared `stock` token receive the new seats left as soon as a checkout commits (a push:
  the clients only listen, nothing polls).
- The stock's public handlers are harmless: whatever a client sends, the figures stay the database's.
- Shop handlers take identity from the session cookie only: another user's order reference loads nothing.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import socketio
from sqlmodel import Session, select

from jo_app.models import Event, Order
from jo_app.services.accounts import sessions
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.services.orders import cart as cart_service
from jo_app.state.catalog.stock import StockState
from jo_app.state.orders.checkout import CheckoutState
from jo_app.state.orders.history import OrdersState
from jo_app.timeutil import utcnow

NAMESPACE = "/_event"
STOCK = StockState.get_full_name()


class RawClient:
    """A bare Reflex websocket client that records every state delta it receives."""

    def __init__(self, url: str, cookie: str | None = None) -> None:
        self.url = url
        self.deltas: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("event", self._on_event, namespace=NAMESPACE)
        headers = {"Cookie": cookie} if cookie else {}
        self.sio.connect(f"{url}?token={uuid.uuid4()}", socketio_path=NAMESPACE, transports=["websocket"],
                         namespaces=[NAMESPACE], headers=headers, wait_timeout=10)

    def _on_event(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.deltas.append(data.get("delta") or {})

    def send(self, handler: str, path: str, **payload: Any) -> None:
        self.sio.emit("event", namespace=NAMESPACE, data={
            "name": handler, "payload": payload, "router_data": {"pathname": path, "asPath": path, "query": {}}})

    def values(self, state: str, var: str) -> list[Any]:
        """Every value received for `state.var`, oldest first."""
        with self.lock:
            return [d[state][f"{var}_rx_state_"] for d in self.deltas
                    if state in d and f"{var}_rx_state_" in d[state]]

    def wait_value(self, state: str, var: str, predicate, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for value in reversed(self.values(state, var)):
                if predicate(value):
                    return value
            time.sleep(0.02)
        raise AssertionError(f"no {state}.{var} matching within {timeout}s; got {self.values(state, var)[-3:]}")

    def close(self) -> None:
        self.sio.disconnect()


def _event_with_offer(live_app, capacity: int) -> tuple[int, int]:
    with Session(live_app.engine) as db:
        event_id = catalog_admin.create_event(db, None, EventInput(
            title="Session test socket", sport="Judo", venue="Arena Champ-de-Mars",
            starts_at=(utcnow() + timedelta(days=20)).replace(microsecond=0), capacity=capacity))
        offer_id = catalog_admin.create_offer(db, None, OfferInput(event_id=event_id, title="Duo", offer_type="duo",
                                                                   price_cents=8000))
    return event_id, offer_id


def _cookie(live_app, user_id: int) -> str:
    with Session(live_app.engine) as db:
        return "jo_session=" + sessions.create_session(db, user_id)


def test_checkout_pushes_seats_to_linked_clients_and_stock_handlers_are_harmless(live_app, make_visitor):
    event_id, offer_id = _event_with_offer(live_app, capacity=10)
    key = str(event_id)
    watchers = [RawClient(live_app.url), RawClient(live_app.url)]
    attacker = RawClient(live_app.url)
    _email, _password, buyer_id = make_visitor()
    buyer = RawClient(live_app.url, cookie=_cookie(live_app, buyer_id))
    try:
        for client in (*watchers, attacker):
            client.send(f"{STOCK}.link", "/billetterie")
        for client in watchers:
            client.wait_value(STOCK, "seats_left", lambda v: v.get(key) == 10, timeout=10)

        # Forged calls: no setter exists, extra arguments are refused, refresh only re-reads the database.
        attacker.send(f"{STOCK}.set_seats_left", "/billetterie", value={key: 0})
        attacker.send(f"{STOCK}.link", "/billetterie", token="other")
        attacker.send(f"{STOCK}.refresh", "/billetterie", seats_left={key: 0})
        attacker.send(f"{STOCK}.refresh", "/billetterie")
        time.sleep(1.0)
        for client in watchers:
            assert all(v.get(key, 10) == 10 for v in client.values(STOCK, "seats_left"))

        # A real purchase by another connection: the linked clients get the new figure pushed within 1 s.
        with Session(live_app.engine) as db:
            cart_service.add_item(db, buyer_id, offer_id, 2)
        checkout = CheckoutState.get_full_name()
        buyer.send(f"{checkout}.load", "/paiement")
        time.sleep(0.5)
        buyer.send(f"{checkout}.pay", "/paiement", form={
            "holder": "Camille Durand", "card_number": "4242424242424242", "expiry": "12/34", "cvc": "123"})
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with Session(live_app.engine) as db:
                if db.get(Event, event_id).seats_sold == 4:
                    break
            time.sleep(0.05)
        committed = time.monotonic()
        assert time.monotonic() < deadline, "the purchase did not commit"
        for client in watchers:
            client.wait_value(STOCK, "seats_left", lambda v: v.get(key) == 6, timeout=1.0)
        assert time.monotonic() - committed < 1.2
    finally:
        for client in (*watchers, attacker, buyer):
            client.close()


def test_order_handlers_use_the_cookie_identity_not_the_url(live_app, make_visitor):
    _event_id, offer_id = _event_with_offer(live_app, capacity=10)
    _email, _password, owner_id = make_visitor()
    owner = RawClient(live_app.url, cookie=_cookie(live_app, owner_id))
    with Session(live_app.engine) as db:
        cart_service.add_item(db, owner_id, offer_id, 1)
    checkout = CheckoutState.get_full_name()
    owner.send(f"{checkout}.load", "/paiement")
    time.sleep(0.5)
    owner.send(f"{checkout}.pay", "/paiement", form={
        "holder": "Camille Durand", "card_number": "4242424242424242", "expiry": "12/34", "cvc": "123"})
    reference = None
    deadline = time.monotonic() + 15
    while reference is None and time.monotonic() < deadline:
        with Session(live_app.engine) as db:
            reference = db.exec(select(Order.reference).where(Order.user_id == owner_id)).first()
        time.sleep(0.05)
    assert reference
    orders_state = OrdersState.get_full_name()
    owner.send(f"{orders_state}.load_order", f"/commandes/{reference}")  # control: the owner does see it
    owner.wait_value(orders_state, "order", lambda order: order.get("reference") == reference, timeout=5)
    owner.close()

    _email2, _password2, intruder_id = make_visitor()
    for cookie in (_cookie(live_app, intruder_id), None):
        intruder = RawClient(live_app.url, cookie=cookie)
        try:
            intruder.send(f"{orders_state}.load_order", f"/commandes/{reference}")
            intruder.send(f"{orders_state}.load_tickets", "/billets")
            time.sleep(1.5)
            assert intruder.deltas, "the server answered nothing"
            for delta in intruder.deltas:  # (the router part echoes the URL the client itself sent)
                assert reference not in str(delta.get(orders_state, {}))
                assert "JO24-" not in str(delta.get(orders_state, {}))
        finally:
            intruder.close()
