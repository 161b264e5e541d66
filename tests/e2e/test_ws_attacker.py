"""Websocket attacker suite: a raw python-socketio client calls EVERY public event handler of EVERY state of the
app (discovered from the code, so a new handler is covered automatically) with hostile arguments, anonymously
and as a logged-in visitor, against the real running app (`live_app`).

Arguments: other users' ids and order reference, negative and huge numbers, huge strings, forms stuffed with
privileged fields, `setvar` on every var of the state, `update_vars_internal` on every var.
Asserted afterwards: no privileged change in the database (roles, locks, orders, tickets and their status,
events, offers, sessions of other users, signing keys), no private data of other users (e-mail addresses,
ticket payloads and keys, password hashes, TOTP secrets) in anything the server sent back, and the server alive.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import threading
import time
import urllib.request
import uuid
from datetime import timedelta
from typing import Any

import pytest
import socketio
from sqlalchemy import delete
from sqlmodel import Session, select

from jo_app.models import Event, LoginAttempt, Offer, Order, Role, SigningKey, Ticket, User, UserSession
from jo_app.services.accounts import sessions
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.services.orders import cart, checkout
from jo_app.services.payment import PaymentCard
from jo_app.timeutil import utcnow

NAMESPACE = "/_event"
HUGE = "A" * 100_000


def discover_handlers() -> dict[str, tuple[list[str], list[str]]]:
    """{full handler name: (parameter names, var names of its state)} for every public handler of every state."""
    from reflex.state import State

    import jo_app.jo_app  # noqa: F401  (registers every state of the app)

    found: dict[str, tuple[list[str], list[str]]] = {}

    def walk(cls) -> None:
        var_names = sorted(name for name in cls.base_vars if not name.startswith("_"))
        for name, handler in cls.event_handlers.items():
            if name.startswith("_"):
                continue
            params = list(inspect.signature(handler.fn).parameters)[1:]
            found[f"{cls.get_full_name()}.{name}"] = (params, var_names)
        for sub in cls.get_substates():
            walk(sub)

    walk(State)
    return found


def hostile_events(handlers: dict[str, tuple[list[str], list[str]]], target: dict[str, Any]) -> list[dict]:
    """Several hostile calls per handler."""
    stuffed = {"user_id": target["victim_id"], "id": target["victim_id"], "role": "admin", "is_admin": True,
               "reference": target["reference"], "ref": target["reference"], "ticket_id": target["ticket_id"],
               "offer_id": target["offer_id"], "event_id": target["event_id"], "quantity": -5, "value": -5,
               "email": "ws-probe@example.org", "password": "x", "code": "000000", "capacity": 0,
               "published": False, "locked": True, "card_number": "4000000000000002", "payload": HUGE[:200]}
    variants = [target["victim_id"], -1, -(2**63), 2**64, HUGE, {"__proto__": {"admin": True}, **stuffed},
                [target["victim_id"], target["reference"]], None, target["reference"]]
    events: list[dict] = []
    for name, (params, var_names) in sorted(handlers.items()):
        handler = name.rsplit(".", 1)[1]
        calls: list[dict] = [{}]
        if handler == "setvar":
            calls = [{"var_name": var, "value": value} for var in var_names
                     for value in (target["victim_id"], "admin", True, HUGE)]
        elif handler == "update_vars_internal":
            state = name.rsplit(".", 1)[0]
            calls = [{"vars": {f"{state}.{var}": value for var in var_names}} for value in
                     (target["victim_id"], "admin", HUGE)]
            calls.append({"vars": {k.rsplit(".", 1)[0] + ".user_id": target["victim_id"] for k in handlers}})
        elif params:
            calls = [{p: value for p in params} for value in variants]
            calls.append({p: (stuffed if p in ("form", "vars", "info") else stuffed.get(p, target["victim_id"]))
                          for p in params})
            calls.append({**{p: target["victim_id"] for p in params}, "user_id": target["victim_id"]})
        for payload in calls:
            events.append({"name": name, "payload": payload,
                           "router_data": {"pathname": "/", "asPath": "/", "query": {"ref": target["reference"]}}})
    return events


class Attacker:
    """One raw websocket connection recording everything the server sends."""

    def __init__(self, url: str, cookie: str | None) -> None:
        self.received: list[Any] = []
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._any, namespace=NAMESPACE)
        self.sio.connect(f"{url}?token={uuid.uuid4()}", socketio_path=NAMESPACE, transports=["websocket"],
                         namespaces=[NAMESPACE], headers={"Cookie": cookie} if cookie else {}, wait_timeout=10)

    def _any(self, event: str, data: Any = None) -> None:
        with self.lock:
            self.received.append([event, data])

    def send_all(self, events: list[dict]) -> None:
        for event in events:
            self.sio.emit("event", namespace=NAMESPACE, data=event)
            time.sleep(0.002)

    def quiet(self, seconds: float, limit: float) -> None:
        """Wait until nothing arrived for `seconds` (at most `limit`)."""
        deadline = time.monotonic() + limit
        last = -1
        while time.monotonic() < deadline:
            with self.lock:
                count = len(self.received)
            if count == last:
                return
            last = count
            time.sleep(seconds)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the server may already have closed it
            self.sio.disconnect()


def _world(live_app) -> dict[str, Any]:
    """A victim visitor with a paid order (tickets with payloads), an administrator, an event and its offer.

    The QR payloads are made by the app itself (through the API): the signing keys are encrypted under the app's
    SECRET_KEY, which is not this test process's."""
    engine = live_app.engine
    from jo_app.services.accounts import users

    with Session(engine, expire_on_commit=False) as session:
        def account(role: Role) -> User:
            user = users.create_user(session, email=f"ws-{role}-{uuid.uuid4().hex[:8]}@example.org",
                                     password="Sprint!Paris2024", first_name="Victime", last_name="Secrète",
                                     role=role, verified=True)
            session.commit()
            return user

        victim, admin = account(Role.VISITOR), account(Role.ADMIN)
        event_id = catalog_admin.create_event(session, None, EventInput(
            title="Cible websocket", sport="Escrime", venue="Grand Palais",
            starts_at=utcnow().replace(microsecond=0) + timedelta(days=9), capacity=40))
        offer_id = catalog_admin.create_offer(
            session, None, OfferInput(event_id=event_id, title="Duo", offer_type="duo", price_cents=9000)
        )
        cart.add_item(session, victim.id, offer_id, 2)
        result = checkout.checkout(session, victim.id, PaymentCard("4242424242424242", 12, utcnow().year + 2, "123"),
                                   idempotency_key=uuid.uuid4().hex)
        victim_email = victim.email
    _render_through_the_app(live_app.url, victim_email, result.order_id, engine)
    with Session(engine, expire_on_commit=False) as session:
        victim, admin = session.get(User, victim.id), session.get(User, admin.id)
        tickets = session.exec(select(Ticket).where(Ticket.order_id == result.order_id)).all()
        assert all(t.qr_payload for t in tickets)
        return {"victim_id": victim.id, "victim_email": victim.email, "admin_email": admin.email,
                "reference": result.reference, "ticket_id": tickets[0].id, "offer_id": offer_id,
                "event_id": event_id,
                "secrets": [victim.email, admin.email, victim.password_hash, admin.password_hash,
                            victim.security_key, admin.security_key,
                            *(t.qr_payload for t in tickets), *(t.ticket_key for t in tickets),
                            *(t.purchase_key for t in tickets), *(t.number for t in tickets)]}


def _render_through_the_app(url: str, email: str, order_id: int, engine) -> None:
    request = urllib.request.Request(f"{url}/api/v1/auth/token", method="POST", headers={
        "Content-Type": "application/json"}, data=json.dumps({"email": email, "password": "Sprint!Paris2024"}).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        token = json.loads(response.read())["access_token"]
    with Session(engine) as session:
        ids = session.exec(select(Ticket.id).where(Ticket.order_id == order_id)).all()
    for ticket_id in ids:
        request = urllib.request.Request(f"{url}/api/v1/tickets/{ticket_id}/qr.png",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200 and response.read().startswith(b"\x89PNG")


def _snapshot(engine, attacker_id: int | None) -> dict:
    with Session(engine) as session:
        return {
            "users": sorted((u.id, u.role, u.is_locked, u.email, u.password_hash, u.totp_enabled, u.anonymized_at)
                            for u in session.exec(select(User)) if u.id != attacker_id)
            + sorted((u.id, u.role) for u in session.exec(select(User)) if u.id == attacker_id),
            "sessions": sorted((s.id, s.revoked_at is None) for s in session.exec(select(UserSession))
                               if s.user_id != attacker_id),
            "events": sorted((e.id, e.title, e.capacity, e.seats_sold, e.is_published, e.starts_at)
                             for e in session.exec(select(Event))),
            "offers": sorted((o.id, o.is_published, o.price_cents, o.event_id) for o in session.exec(select(Offer))),
            "orders": sorted((o.id, o.user_id, o.status, o.total_cents) for o in session.exec(select(Order))),
            "tickets": sorted((t.id, t.user_id, t.status, t.qr_id) for t in session.exec(select(Ticket))),
            "keys": sorted((k.id, k.status) for k in session.exec(select(SigningKey))),
        }


def _positive_control(live_app, attacker_id: int, target: dict, handlers: dict) -> None:
    """The attacker's account CAN act for itself over a raw socket: paying its own cart creates its order. So the
    silence above is the handlers refusing, not events being dropped. (A fresh session and an empty cart: the
    hostile run may have logged the attacker out or filled its cart.)"""
    pay = next(name for name in handlers if name.endswith("checkout____checkout_state.pay"))
    with Session(live_app.engine) as session:
        cookie = "jo_session=" + sessions.create_session(session, attacker_id)
        cart.clear_cart(session, attacker_id)
        cart.add_item(session, attacker_id, target["offer_id"], 1)
    lane = Attacker(live_app.url, cookie)
    router = {"pathname": "/paiement", "asPath": "/paiement", "query": {}}
    lane.send_all([{"name": pay.rsplit(".", 1)[0] + ".load", "payload": {}, "router_data": router}])
    time.sleep(0.5)
    lane.send_all([{"name": pay, "payload": {"form": {"holder": "Camille Durand", "card_number": "4242424242424242",
                                                      "expiry": "12/34", "cvc": "123"}}, "router_data": router}])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with Session(live_app.engine) as session:
            if session.exec(select(Order.id).where(Order.user_id == attacker_id)).first() is not None:
                lane.close()
                return
        time.sleep(0.2)
    lane.close()
    raise AssertionError("positive control failed: the attacker's own checkout over the socket did not happen")


@pytest.mark.parametrize("who", ["anonymous", "visitor"])
def test_every_handler_with_hostile_arguments_changes_nothing_and_leaks_nothing(who, live_app, make_visitor) -> None:
    handlers = discover_handlers()
    assert len(handlers) > 50, "handler discovery found too few handlers"
    assert any(name.endswith(".setvar") for name in handlers)
    target = _world(live_app)
    cookie, attacker_id = None, None
    if who == "visitor":
        _email, _password, attacker_id = make_visitor()
        with Session(live_app.engine) as session:
            cookie = "jo_session=" + sessions.create_session(session, attacker_id)
    events = hostile_events(handlers, target)
    started = utcnow()
    before = _snapshot(live_app.engine, attacker_id)
    lanes = [Attacker(live_app.url, cookie) for _ in range(4)]
    try:
        threads = [threading.Thread(target=lane.send_all, args=(events[i::len(lanes)],))
                   for i, lane in enumerate(lanes)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for lane in lanes:
            lane.quiet(1.5, limit=120)
        time.sleep(2)  # background handlers
        after = _snapshot(live_app.engine, attacker_id)
        assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        received = [item for lane in lanes for item in lane.received]
        assert received, "the server answered nothing"
        blob = json.dumps(received, default=str)
        leaks = [s for s in target["secrets"] if s and s in blob]
        assert not leaks, f"private data in the deltas: {[s[:24] for s in leaks]}"
        with urllib.request.urlopen(f"{live_app.url}/ping", timeout=10) as response:
            assert response.status == 200
        if attacker_id is not None:
            _positive_control(live_app, attacker_id, target, handlers)
    finally:
        for lane in lanes:
            lane.close()
        with Session(live_app.engine) as session:  # keep the per-address login lockout out of later e2e tests
            session.exec(delete(LoginAttempt).where(LoginAttempt.created_at >= started))
            session.commit()


def test_live_app_headers_cors_and_api_docs(live_app) -> None:
    """On the real app (Reflex + our middleware): security headers on pages and API, the camera only on the gate
    page, CORS refusing a foreign origin (Reflex's own CORS layer with rxconfig's origins), docs served."""
    def get(path: str, origin: str | None = None):
        request = urllib.request.Request(f"{live_app.url}{path}", headers={"Origin": origin} if origin else {})
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers, response.read()

    for path in ("/", "/controle", "/api/v1/events", "/api/docs"):
        status, headers, _body = get(path)
        assert status == 200, path
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Permissions-Policy"].startswith("camera=(self), microphone=()")
    _status, headers, _body = get("/api/v1/events", origin="https://evil.example")
    assert headers.get("Access-Control-Allow-Origin") is None
    _status, headers, _body = get("/api/v1/events", origin=live_app.url)
    assert headers.get("Access-Control-Allow-Origin") == live_app.url
    _status, _headers, body = get("/api/openapi.json")
    assert "/api/v1/scans" in json.loads(body)["paths"]
