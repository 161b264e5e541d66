"""Admin handlers called directly (as any websocket client can call them, with any arguments), on SQLite and
PostgreSQL: without an administrator's session they change nothing and fill nothing; with one they work, show
the services' errors next to the fields, and push live updates after each change."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from jo_app import wiring
from jo_app.models import AuditLog, Event, Offer, Order, Role, Ticket, User, UserSession
from jo_app.services import admin_exports, events, job_worker, mail, stats
from jo_app.services.accounts import sessions
from jo_app.services.accounts import users as accounts
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.orders import cart, checkout
from jo_app.services.payment import PaymentCard
from jo_app.state.accounts.admin import AdminUsersState
from jo_app.state.admin_audit import AdminAuditState
from jo_app.state.admin_dashboard import AdminDashboardState
from jo_app.state.catalog import admin_data as admin_catalog_data
from jo_app.state.catalog.admin import AdminCatalogState
from jo_app.state.orders.admin import AdminOrdersState
from jo_app.timeutil import utcnow
from tests.state.conftest import make_state

PASSWORD = "Piste!Verte2024"
CARD = PaymentCard("4242424242424242", 12, utcnow().year + 2, "123", "Ada")


@pytest.fixture
def db(db_engine, monkeypatch):
    """The test database, with the live pushes recorded."""
    engine = db_engine
    pushes: list[tuple] = []

    def notify(*topics):
        pushes.append(tuple(topics))

    monkeypatch.setattr(wiring.live, "notify", notify)  # the one `jo_app.live` module the event reactions use
    engine.pushes = pushes
    wiring.wire()  # the app's reactions to domain events (live pushes), as jo_app.jo_app wires them
    return engine


def _user(engine, email: str, role: Role = Role.VISITOR) -> tuple[int, str]:
    with Session(engine) as session:
        user = accounts.create_user(session, email=email, password=PASSWORD, first_name="Alex", last_name="Martin",
                                    role=role, verified=True)
        session.commit()
        return user.id, sessions.create_session(session, user.id)


def _state(cls, cookie: str, path: str = "/admin"):
    return make_state(cls, cookie, path)


def _run(cls, name: str, state, *args):
    result = cls.event_handlers[name].fn(state, *args)
    if hasattr(result, "__aiter__"):
        async def drain():
            return [x async for x in result]
        return asyncio.run(drain())
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


def _world(engine) -> dict:
    """An event with offers, one paid order by a visitor."""
    with Session(engine) as session:
        event_id = catalog_admin.create_event(session, None, catalog_admin.EventInput(
            title="Judo — finale", sport="Judo", venue="Arena", starts_at=utcnow() + timedelta(days=3), capacity=10))
        solo = catalog_admin.create_offer(session, None, catalog_admin.OfferInput(event_id=event_id, title="Solo",
                                                                                  offer_type="solo", price_cents=3000))
    buyer, _token = _user(engine, "buyer@example.org")
    with Session(engine) as session:
        cart.add_item(session, buyer, solo, 2)
        reference = checkout.checkout(session, buyer, CARD, idempotency_key="k1", confirmation_mail=False).reference
    assert events.wait_idle()  # the set-up's own events (seats, order placed) are not the handlers' pushes
    getattr(engine, "pushes", []).clear()
    return {"event_id": event_id, "offer_id": solo, "buyer": buyer, "reference": reference}


def _snapshot(engine) -> dict:
    with Session(engine) as session:
        return {
            "users": sorted((u.id, u.role, u.is_locked) for u in session.exec(select(User))),
            "sessions": sorted((s.id, s.revoked_at) for s in session.exec(select(UserSession))),
            "events": sorted((e.id, e.title, e.capacity, e.is_published, e.image) for e in session.exec(select(Event))),
            "offers": sorted((o.id, o.is_published, o.price_cents) for o in session.exec(select(Offer))),
            "orders": sorted((o.id, o.status) for o in session.exec(select(Order))),
            "tickets": sorted((t.id, t.status) for t in session.exec(select(Ticket))),
            "audit": len(session.exec(select(AuditLog.id)).all()),
        }


@pytest.mark.parametrize("who", ["anonymous", "forged", "visitor", "employee", "locked_admin"])
def test_non_admins_change_nothing_and_see_nothing(db, who: str) -> None:
    world = _world(db)
    admin_id, _admin_token = _user(db, "boss@example.org", Role.ADMIN)
    cookie = {"anonymous": "", "forged": "jo_session=forged-token"}.get(who)
    if cookie is None:
        role = {"visitor": Role.VISITOR, "employee": Role.EMPLOYEE, "locked_admin": Role.ADMIN}[who]
        user_id, token = _user(db, f"{who}@example.org", role)
        cookie = f"jo_session={token}"
        if who == "locked_admin":
            with Session(db) as session:
                session.get(User, user_id).is_locked = True
                session.commit()
    before = _snapshot(db)
    form = {"title": "Pwned", "sport": "X", "venue": "Y", "starts_at": "2027-01-01T10:00", "capacity": "0",
            "price": "0", "offer_type": "solo", "q": "", "role": "", "reason": "x", "actor": "", "action": ""}

    dash = _state(AdminDashboardState, cookie)
    _run(AdminDashboardState, "load", dash)
    assert _run(AdminDashboardState, "export_csv", dash, "sales") is None
    assert dash.kpis == {} and dash.by_type == [] and dash.access == "denied"

    cat = _state(AdminCatalogState, cookie)
    _run(AdminCatalogState, "load", cat)
    _run(AdminCatalogState, "select_event", cat, world["event_id"])
    cat.selected_id = world["event_id"]  # even with a forged selection
    _run(AdminCatalogState, "save_event", cat, form)
    _run(AdminCatalogState, "set_event_published", cat, world["event_id"], False)
    _run(AdminCatalogState, "delete_event", cat, world["event_id"])
    _run(AdminCatalogState, "save_offer", cat, form)
    _run(AdminCatalogState, "set_offer_published", cat, world["offer_id"], False)
    _run(AdminCatalogState, "delete_offer", cat, world["offer_id"])
    assert cat.events == [] and cat.offers == []

    orders = _state(AdminOrdersState, cookie)
    _run(AdminOrdersState, "load", orders)
    _run(AdminOrdersState, "search", orders, {"q": "", "event": ""})
    _run(AdminOrdersState, "open_order", orders, world["reference"])
    orders.order = {"reference": world["reference"]}  # even with a forged open order
    _run(AdminOrdersState, "cancel_order", orders, {"reason": "x"})
    assert orders.results == [] and orders.event_choices == []

    users = _state(AdminUsersState, cookie)
    _run(AdminUsersState, "load", users)
    _run(AdminUsersState, "ask_role", users, world["buyer"], "admin")
    _run(AdminUsersState, "confirm_role", users)
    _run(AdminUsersState, "set_locked", users, admin_id, True)
    _run(AdminUsersState, "force_logout", users, admin_id)
    assert users.users == []

    logs = _state(AdminAuditState, cookie)
    _run(AdminAuditState, "load", logs)
    _run(AdminAuditState, "filter", logs, {"actor": "", "action": ""})
    assert logs.entries == [] and logs.actions == [] and logs.login_bursts == []

    assert _snapshot(db) == before
    assert db.pushes == []


def test_admin_catalogue_handlers(db) -> None:
    world = _world(db)
    _admin, token = _user(db, "boss@example.org", Role.ADMIN)
    cat = _state(AdminCatalogState, f"jo_session={token}")
    _run(AdminCatalogState, "load", cat)
    assert cat.access == "granted" and [e["id"] for e in cat.events] == [world["event_id"]]

    _run(AdminCatalogState, "new_event", cat)
    bad = {"title": "", "sport": "Voile", "venue": "Marina", "city": "Marseille", "starts_at": "nope",
           "capacity": "ten"}
    _run(AdminCatalogState, "save_event", cat, bad)
    assert cat.event_errors == {"capacity": "err.invalid_number", "starts_at": "err.invalid_date"}
    _run(AdminCatalogState, "save_event", cat, {**bad, "starts_at": "2027-07-01T10:00", "capacity": "50"})
    assert cat.event_errors == {"title": "err.required"} and cat.error == "err.form_invalid"
    cat.event_image = "https://evil.example/x.png"  # what a tampered client could try to save
    _run(AdminCatalogState, "save_event", cat, {**bad, "title": "Voile — 470", "starts_at": "2027-07-01T10:00",
                                                "capacity": "50", "is_published": "on"})
    assert cat.message == "msg.admin.event_created", (cat.error, cat.event_errors)
    with Session(db) as session:
        event = session.exec(select(Event).where(Event.title == "Voile — 470")).one()
        assert (event.capacity, event.is_published, event.image) == (50, True, None)
        assert event.starts_at == datetime(2027, 7, 1, 8, 0)  # 10:00 Paris (summer time) = 08:00 UTC
    assert events.wait_idle() and db.pushes[-1] == ("stock", "catalogue")  # the service's CatalogChanged

    _run(AdminCatalogState, "save_offer", cat, {"title": "Famille", "offer_type": "family", "price": "120,5"})
    assert cat.message == "msg.admin.offer_created" and [o["offer_type"] for o in cat.offers] == ["family"]
    with Session(db) as session:
        assert session.exec(select(Offer.price_cents).where(Offer.event_id == event.id)).one() == 12050
    _run(AdminCatalogState, "save_offer", cat, {"title": "X", "offer_type": "quad", "price": "1"})
    assert cat.offer_errors == {"offer_type": "err.invalid_offer_type"}

    # The sold event: capacity below the seats sold and deletion are refused, next to the field / as a notice.
    _run(AdminCatalogState, "select_event", cat, world["event_id"])
    assert cat.event_form["capacity"] == "10" and cat.selected_sold == 2
    _run(AdminCatalogState, "save_event", cat, {**cat.event_form, "capacity": "1"})
    assert cat.event_errors == {"capacity": "err.capacity_below_sold"}
    _run(AdminCatalogState, "delete_event", cat, world["event_id"])
    assert cat.error == "err.event_has_orders"
    _run(AdminCatalogState, "delete_offer", cat, world["offer_id"])
    assert cat.error == "err.offer_has_orders"
    _run(AdminCatalogState, "set_event_published", cat, world["event_id"], False)
    with Session(db) as session:
        assert session.get(Event, world["event_id"]).is_published is False
        assert session.get(Event, world["event_id"]).capacity == 10


def test_admin_cancels_an_order_customer_mailed_and_live_pushes(db) -> None:
    world = _world(db)
    _admin, token = _user(db, "boss@example.org", Role.ADMIN)
    orders = _state(AdminOrdersState, f"jo_session={token}", "/admin/commandes")
    _run(AdminOrdersState, "load", orders)
    assert [r["reference"] for r in orders.results] == [world["reference"]]
    _run(AdminOrdersState, "search", orders, {"q": "buyer@", "event": str(world["event_id"])})
    assert [r["reference"] for r in orders.results] == [world["reference"]]
    _run(AdminOrdersState, "search", orders, {"q": "nobody", "event": ""})
    assert orders.results == []
    _run(AdminOrdersState, "open_order", orders, world["reference"].lower())
    assert orders.order["reference"] == world["reference"] and len(orders.order["tickets"]) == 2
    _run(AdminOrdersState, "cancel_order", orders, {"reason": "Client request"})
    assert orders.message == "msg.admin.order_cancelled" and orders.order["status"] == "cancelled"
    with Session(db) as session:
        assert session.get(Event, world["event_id"]).seats_sold == 0
        assert stats.revenue_cents(session) == 0
    job_worker.run_pending(db)  # the notice is a durable job queued with the cancellation
    sent = [m for m in mail.read_outbox() if world["reference"] in str(m["Subject"])]
    assert len(sent) == 1 and sent[0]["To"] == "buyer@example.org"
    assert events.wait_idle()  # the service's OrderCancelled, delivered after its commit
    assert ("stock", "admin", f"gate:{world['event_id']}") in db.pushes
    _run(AdminOrdersState, "cancel_order", orders, {"reason": "again"})  # idempotent, no second mail
    assert orders.message == "msg.admin.order_already_cancelled"
    job_worker.run_pending(db)
    assert len([m for m in mail.read_outbox() if world["reference"] in str(m["Subject"])]) == 1


def test_admin_cancel_of_an_order_with_a_used_ticket_needs_the_override_and_a_reason(db) -> None:
    world = _world(db)
    _admin, token = _user(db, "boss@example.org", Role.ADMIN)
    with Session(db) as session:
        order = session.exec(select(Order).where(Order.reference == world["reference"])).one()
        used = session.exec(select(Ticket).where(Ticket.order_id == order.id)).first()
        used.status, used.used_gate = "used", "Porte A"
        session.add(used)
        session.commit()
    orders = _state(AdminOrdersState, f"jo_session={token}", "/admin/commandes")
    _run(AdminOrdersState, "open_order", orders, world["reference"])
    assert orders.order["used_count"] == 1
    _run(AdminOrdersState, "cancel_order", orders, {"reason": "Client request"})
    assert orders.error == "err.order_has_used_tickets" and not orders.confirm_cancel
    _run(AdminOrdersState, "cancel_order", orders, {"reason": "", "override_used": "on"})
    assert orders.error == "err.override_reason_required" and orders.confirm_cancel  # the form stays open
    with Session(db) as session:
        assert session.exec(select(Order.status).where(Order.reference == world["reference"])).one() == "paid"
    _run(AdminOrdersState, "cancel_order", orders, {"reason": "Orage, session arrêtée", "override_used": True})
    assert orders.error == "" and orders.message == "msg.admin.order_cancelled"
    with Session(db) as session:
        assert session.exec(select(AuditLog).where(AuditLog.action == "order.used_tickets_refunded")).one()


def test_admin_users_and_the_last_admin(db) -> None:
    admin_id, token = _user(db, "boss@example.org", Role.ADMIN)
    visitor_id, visitor_token = _user(db, "camille@example.org")
    users = _state(AdminUsersState, f"jo_session={token}", "/admin/utilisateurs")
    _run(AdminUsersState, "load", users)
    assert {u["email"] for u in users.users} == {"boss@example.org", "camille@example.org"}
    _run(AdminUsersState, "ask_role", users, admin_id, "visitor")
    _run(AdminUsersState, "confirm_role", users)
    assert users.error == "err.last_admin"
    _run(AdminUsersState, "set_locked", users, admin_id, True)
    assert users.error == "err.last_admin"
    _run(AdminUsersState, "ask_role", users, visitor_id, "superuser")
    assert users.role_change == {}  # not a role: nothing to confirm
    _run(AdminUsersState, "ask_role", users, visitor_id, "employee")
    assert users.role_change["new"] == "employee"
    with Session(db) as session:  # the menu alone changes nothing (issue 13 item 9)
        assert session.get(User, visitor_id).role == "visitor"
    _run(AdminUsersState, "confirm_role", users)
    _run(AdminUsersState, "confirm_role", users)  # a second confirm has nothing left to apply
    _run(AdminUsersState, "force_logout", users, visitor_id)
    assert users.message == "msg.admin.logged_out"
    with Session(db) as session:
        assert session.get(User, admin_id).role == "admin" and not session.get(User, admin_id).is_locked
        assert session.get(User, visitor_id).role == "employee"
        assert sessions.resolve_session(session, visitor_token) is None
        assert sessions.resolve_session(session, token) is not None
    # Demoted in the database: the next call is refused although the page was open as admin.
    with Session(db) as session:
        session.get(User, admin_id).role = "visitor"
        session.commit()
    _run(AdminUsersState, "load", users)
    assert users.access == "denied" and users.users == []


def test_dashboard_and_exports(db) -> None:
    _world(db)
    _admin, token = _user(db, "boss@example.org", Role.ADMIN)
    dash = _state(AdminDashboardState, f"jo_session={token}")
    _run(AdminDashboardState, "load", dash)
    with Session(db) as session:
        kpis = stats.kpis(session)
    assert dash.kpis["revenue_cents"] == kpis["revenue_cents"] == 6000
    assert [(r["offer_type"], r["packs"]) for r in dash.by_type] == [("solo", 2), ("duo", 0), ("family", 0)]
    assert [(r["label_fr"], r["label_en"]) for r in dash.by_type][2] == ("Famille", "Family")
    assert len(dash.per_day) == 30 and dash.per_day[-1]["revenue"] == 60.0
    assert [(a["sold"], a["admitted"]) for a in dash.admissions] == [(2, 0)]
    download = _run(AdminDashboardState, "export_csv", dash, "sales")
    encoded = re.search(r"base64,([A-Za-z0-9+/=]+)", json.dumps(download.args, default=str)).group(1)
    with Session(db) as session:
        assert base64.b64decode(encoded).decode() == admin_exports.sales_csv(session,
                                                                         layout=admin_exports.SPREADSHEET_FR)
    assert "buyer@example.org" in base64.b64decode(encoded).decode()


def test_parsing_helpers() -> None:
    assert admin_catalog_data.parse_price_cents("45,50 €") == 4550
    assert admin_catalog_data.parse_price_cents("12") == 1200
    assert admin_catalog_data.parse_price_cents("1.005") is None
    assert admin_catalog_data.parse_price_cents("NaN") is None
    assert admin_catalog_data.parse_price_cents("abc") is None
    assert admin_catalog_data.parse_local_datetime("2027-01-10T09:30").utcoffset() == timedelta(hours=1)
    assert admin_catalog_data.parse_local_datetime("2027-13-01T00:00") is None
    stored = "/_upload/0123456789abcdef0123456789abcdef.webp"
    assert admin_catalog_data.image_value(stored, "") == stored
    assert admin_catalog_data.image_value("", "/sports/judo.svg") is None
    assert admin_catalog_data.image_value("/sports/judo.svg", "/sports/judo.svg") == "/sports/judo.svg"
    assert admin_catalog_data.image_value("javascript:alert(1)", "/sports/judo.svg") == "/sports/judo.svg"
    assert admin_catalog_data.image_value("/_upload/../../etc/passwd", "") is None
