"""Admin area in a real browser: catalogue edits reaching open visitor catalogues live, dashboard charts drawn from
the database, live refresh after a cancellation (refund, seats, mail), CSV exports, users, audit log, and access
denied for visitors, anonymous users and hand-crafted websocket calls."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import socketio
from PIL import Image
from sqlmodel import Session, select

from jo_app.models import AuditLog, Event, LoginAttempt, Offer, Order, Role, Ticket, User, UserSession
from jo_app.services import admin_exports, admin_reports, stats
from jo_app.services.accounts import sessions
from jo_app.services.mail import format_price
from jo_app.services.orders import cart, checkout
from jo_app.services.payment import PaymentCard
from jo_app.timeutil import utcnow

ADMIN_PAGES = ("/admin", "/admin/evenements", "/admin/commandes", "/admin/utilisateurs", "/admin/journal")
CARD = PaymentCard("4242424242424242", 12, utcnow().year + 2, "123", "Ada Lovelace")


def _admin(new_context, make_visitor, login):
    email, password, user_id = make_visitor(role=Role.ADMIN)
    page = new_context().new_page()
    login(page, email, password)
    return page, email, user_id


def _event(engine, title: str, *, capacity: int = 100, hours: int = 3) -> tuple[int, dict[str, int]]:
    """A published event starting soon with solo, duo and family offers; returns (event id, offer ids)."""
    from jo_app.services.catalog import admin as catalog_admin

    with Session(engine) as session:
        event_id = catalog_admin.create_event(session, None, catalog_admin.EventInput(
            title=title, sport="Escrime", venue="Grand Palais", starts_at=utcnow() + timedelta(hours=hours),
            capacity=capacity))
        offers = {kind: catalog_admin.create_offer(session, None, catalog_admin.OfferInput(
            event_id=event_id, title=f"Pack {kind}", offer_type=kind, price_cents=price))
            for kind, price in (("solo", 4000), ("duo", 7500), ("family", 14000))}
    return event_id, offers


def _buy(engine, user_id: int, lines: list[tuple[int, int]]) -> str:
    with Session(engine) as session:
        for offer_id, quantity in lines:
            cart.add_item(session, user_id, offer_id, quantity)
        result = checkout.checkout(session, user_id, CARD, idempotency_key=f"e2e-{time.monotonic_ns()}")
        return result.reference


def _admit(engine, reference: str, employee_id: int, gate: str = "Porte A") -> int:
    """Mark the order's first ticket as admitted (test set-up for the admissions figures); returns its id."""
    with Session(engine) as session:
        order = session.exec(select(Order).where(Order.reference == reference)).one()
        ticket = session.exec(select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.id)).first()
        ticket.status, ticket.used_at, ticket.used_gate, ticket.used_by_id = "used", utcnow(), gate, employee_id
        session.add(ticket)
        session.commit()
        return ticket.id


def _svg_texts(page, selector: str) -> list[str]:
    return page.locator(selector).evaluate_all("els => els.map(e => e.textContent.trim())")


def _png(color=(10, 120, 200)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (320, 200), color)
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    image.save(out, "PNG", exif=exif.tobytes())
    return out.getvalue()


def test_admin_creates_event_and_offer_and_open_catalogue_shows_it_live(new_context, make_visitor, login,
                                                                          live_app, screenshot) -> None:
    visitor = new_context().new_page()
    visitor.goto("/billetterie")
    visitor.locator("[data-testid=event-card]").first.wait_for()
    title = f"Escalade — Finale combinée {int(time.time())}"

    page, _email, admin_id = _admin(new_context, make_visitor, login)
    page.goto("/admin/evenements")
    page.locator("#event-form").wait_for()
    page.fill("#ev-title", title)
    page.fill("#ev-sport", "Escalade")
    page.fill("#ev-venue", "Le Bourget")
    page.fill("#ev-starts_at", "2027-02-20T15:30")
    page.fill("#ev-capacity", "500")
    page.uncheck("#ev-published")  # prepared unpublished, published once its offer exists
    upload = page.locator("#event-image-upload input[type=file]")
    upload.set_input_files(files=[{"name": "fake.png", "mimeType": "image/png", "buffer": b"<svg>not a png</svg>"}])
    page.locator("#admin-error").wait_for()
    assert "PNG, JPEG" in page.inner_text("#admin-error")
    upload.set_input_files(files=[{"name": "poster.png", "mimeType": "image/png", "buffer": _png()}])
    page.locator("#event-image-preview").wait_for()
    page.click("#event-submit")
    page.locator("#admin-message").wait_for()
    page.locator("#offers-panel").wait_for()

    with Session(live_app.engine) as session:
        event = session.exec(select(Event).where(Event.title == title)).one()
        assert (event.capacity, event.is_published, event.venue) == (500, False, "Le Bourget")
        assert event.starts_at == datetime(2027, 2, 20, 14, 30)  # 15:30 Paris (winter time) = 14:30 UTC
        assert re.fullmatch(r"/_upload/[0-9a-f]{32}\.png", event.image)
    served = page.request.get(live_app.url + event.image)
    assert served.ok and served.headers["content-type"] == "image/png"
    assert b"SpyCam" not in served.body() and Image.open(io.BytesIO(served.body())).size == (320, 200)

    page.fill("#of-title", "Duo découverte")
    page.select_option("#of-offer_type", "duo")
    page.fill("#of-price", "45,505")  # three decimals: refused next to the field
    page.click("#offer-submit")
    page.locator("#of-price-error").filter(has_text="2 décimales").wait_for()
    page.fill("#of-price", "45,50")
    page.click("#offer-submit")
    page.locator("#offers-table").filter(has_text="Duo découverte").wait_for()
    with Session(live_app.engine) as session:
        offer = session.exec(select(Offer).where(Offer.event_id == event.id)).one()
        assert (offer.offer_type, offer.persons, offer.price_cents) == ("duo", 2, 4550)

    time.sleep(1)
    assert visitor.get_by_text(title).count() == 0  # unpublished: not in the open catalogue
    page.click(f"#event-publish-{event.id}")
    visitor.get_by_text(title).wait_for(timeout=10_000)  # appears without any reload
    card = visitor.locator(f"[data-testid=event-card][data-event-id='{event.id}']")
    assert card.count() == 1
    screenshot(visitor, "admin-published-event-in-visitor-catalogue")

    page.click(f"#event-unpublish-{event.id}")
    visitor.get_by_text(title).wait_for(state="detached", timeout=10_000)
    page.click(f"#event-delete-{event.id}")
    page.click(f"#event-confirm-delete-{event.id}")
    page.locator(f"#event-row-{event.id}").wait_for(state="detached")
    with Session(live_app.engine) as session:
        assert session.get(Event, event.id) is None
        actions = session.exec(select(AuditLog.action).where(AuditLog.actor_id == admin_id)).all()
    assert {"event.created", "offer.created", "event.published", "event.unpublished", "event.deleted"} <= set(actions)


def test_capacity_below_sold_and_deleting_sold_event_are_refused(new_context, make_visitor, login,
                                                                   live_app) -> None:
    event_id, offers = _event(live_app.engine, f"Sabre — capacité {int(time.time())}", capacity=20)
    _buyer_email, _pw, buyer_id = make_visitor()
    _buy(live_app.engine, buyer_id, [(offers["family"], 2)])  # 8 seats sold
    page, _email, _id = _admin(new_context, make_visitor, login)
    page.goto("/admin/evenements")
    page.click(f"#event-edit-{event_id}")
    page.locator("#ev-capacity").wait_for()
    page.wait_for_function("() => document.querySelector('#ev-capacity').value === '20'")
    page.fill("#ev-capacity", "7")
    page.click("#event-submit")
    page.locator("#ev-capacity-error").filter(has_text="places déjà vendues").wait_for()
    page.click(f"#event-delete-{event_id}")
    page.click(f"#event-confirm-delete-{event_id}")
    page.locator("#admin-error").filter(has_text="dépubliez").wait_for()
    with Session(live_app.engine) as session:
        event = session.get(Event, event_id)
        assert (event.capacity, event.seats_sold) == (20, 8)
    page.fill("#ev-capacity", "8")  # exactly the seats sold is fine
    page.click("#event-submit")
    page.locator("#admin-message").filter(has_text="enregistré").wait_for()
    with Session(live_app.engine) as session:
        assert session.get(Event, event_id).capacity == 8


def _expected_admissions(session: Session) -> list[dict]:
    rows = [a for a in stats.admissions_per_event(session) if a["tickets_sold"] > 0]
    return sorted(rows, key=lambda a: (-a["persons_sold"], a["starts_at"], a["event_id"]))[:12]


def _nonzero(values) -> list[str]:
    return [str(v) for v in values if v]


def test_dashboard_charts_match_the_database_and_update_live(new_context, make_visitor, login, live_app, smtp,
                                                             screenshot) -> None:
    first, offers1 = _event(live_app.engine, f"Fleuret — tableau {int(time.time())}")
    _second, offers2 = _event(live_app.engine, f"Épée — tableau {int(time.time())}", hours=5)
    buyer_email, _pw, buyer = make_visitor()
    _other_email, _pw2, other = make_visitor()
    _employee_email, _pw3, employee = make_visitor(role=Role.EMPLOYEE)
    kept = _buy(live_app.engine, buyer, [(offers1["solo"], 3), (offers2["family"], 1)])
    to_cancel = _buy(live_app.engine, other, [(offers1["duo"], 2)])
    _admit(live_app.engine, kept, employee)

    page, _email, _id = _admin(new_context, make_visitor, login)
    page.goto("/admin")
    page.locator("#kpi-revenue").wait_for()
    with Session(live_app.engine) as session:
        kpis = stats.kpis(session)
        by_type = stats.sales_by_offer_type(session)
        admissions = _expected_admissions(session)
    page.wait_for_function("t => document.querySelector('#kpi-revenue').textContent === t",
                           arg=format_price(kpis["revenue_cents"], "fr"))
    # French thousands separator (narrow no-break space): "19 211".
    assert page.inner_text("#kpi-tickets-sold") == f"{kpis['tickets_sold']:,}".replace(",", "\u202f")
    assert page.inner_text("#kpi-seats-left") == f"{kpis['seats_left']:,}".replace(",", "\u202f")
    assert page.inner_text("#kpi-admissions") == f"{kpis['persons_admitted']:,}".replace(",", "\u202f")

    # Sales by offer type: one bar per type sold, labelled with its packs, on the Solo / Duo / Famille axis.
    page.locator("#chart-by-type .recharts-bar-rectangle path").first.wait_for()
    assert _svg_texts(page, "#chart-by-type .recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value") == [
        "Solo", "Duo", "Famille"]
    assert _svg_texts(page, "#chart-by-type .recharts-label-list text") == _nonzero(r["packs"] for r in by_type)
    assert page.locator("#chart-by-type .recharts-bar-rectangle path").count() == len(_nonzero(
        r["packs"] for r in by_type))
    heights = page.locator("#chart-by-type .recharts-bar-rectangle path").evaluate_all(
        "els => els.map(e => e.getBBox().height)")
    packs = [r["packs"] for r in by_type if r["packs"]]
    assert all(abs(h / heights[0] - p / packs[0]) < 0.03 for h, p in zip(heights, packs, strict=True))

    # Sales per day: 30 points, today's one above the zero line of the empty days.
    dots = page.locator("#chart-per-day .recharts-line-dot")
    assert dots.count() == 30
    ys = dots.evaluate_all("els => els.map(e => Number(e.getAttribute('cy')))")
    assert ys[-1] < ys[0]

    # Admissions per event: persons sold and admitted, per event, in the database's order.
    page.locator("#chart-admissions .recharts-bar").first.wait_for()
    series = page.locator("#chart-admissions .recharts-bar")
    assert series.count() == 2
    assert _svg_texts(page, "#chart-admissions .recharts-label-list >> nth=0 >> text") == _nonzero(
        a["persons_sold"] for a in admissions)
    assert _svg_texts(page, "#chart-admissions .recharts-label-list >> nth=1 >> text") == _nonzero(
        a["persons_admitted"] for a in admissions)
    ticks = _svg_texts(page, "#chart-admissions .recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value")
    assert len(ticks) == len(admissions)
    assert all(a["title"].startswith(t.rstrip("…")) for t, a in zip(ticks, admissions, strict=True))
    screenshot(page, "admin-dashboard-desktop")

    # Another admin cancels an order: refund, seats back, customer mailed, and the open dashboard follows live.
    other_page, _e, _i = _admin(new_context, make_visitor, login)
    other_page.goto("/admin/commandes")
    other_page.fill("#orders-q", to_cancel)
    other_page.click("#orders-search")
    other_page.locator(f"#order-row-{to_cancel}").wait_for()
    other_page.get_by_text(to_cancel, exact=True).click()
    other_page.click("#order-cancel")
    other_page.fill("#cancel-reason", "Demande du client")
    other_page.click("#order-confirm-cancel")
    other_page.locator("#admin-message").wait_for()
    with Session(live_app.engine) as session:
        order = session.exec(select(Order).where(Order.reference == to_cancel)).one()
        assert order.status == "cancelled"
        assert {t.status for t in session.exec(select(Ticket).where(Ticket.order_id == order.id))} == {"cancelled"}
        assert session.get(Event, first).seats_sold == 3  # the 3 solo persons stay, the 2 duo packs are released
        after = stats.kpis(session)
    assert after["revenue_cents"] == kpis["revenue_cents"] - 2 * 7500
    mail = smtp.wait_for(_other_email, to_cancel)
    assert "annul" in str(mail["Subject"])
    page.wait_for_function("t => document.querySelector('#kpi-revenue').textContent === t",
                           arg=format_price(after["revenue_cents"], "fr"), timeout=5_000)  # no reload
    assert buyer_email  # the kept order is untouched
    with Session(live_app.engine) as session:
        assert session.exec(select(Order.status).where(Order.reference == kept)).one() == "paid"


def test_csv_exports_match_the_database(new_context, make_visitor, login, live_app) -> None:
    _event_id, offers = _event(live_app.engine, f"Judo — export {int(time.time())}")
    _b, _p, buyer = make_visitor()
    _e, _p2, employee = make_visitor(role=Role.EMPLOYEE)
    reference = _buy(live_app.engine, buyer, [(offers["duo"], 2)])
    _admit(live_app.engine, reference, employee, gate="Porte Nord")
    page, _email, _id = _admin(new_context, make_visitor, login)
    page.goto("/admin")
    page.locator("#export-sales").wait_for()
    with page.expect_download() as info:
        page.click("#export-sales")
    download = info.value
    assert re.fullmatch(r"ventes-\d{8}-\d{4}\.csv", download.suggested_filename)
    sales = Path(download.path()).read_text(encoding="utf-8")
    with page.expect_download() as info:
        page.click("#export-admissions")
    admissions = Path(info.value.path()).read_text(encoding="utf-8")
    # The French dashboard downloads the French spreadsheet layout (BOM, `;`, decimal comma, Paris times).
    with Session(live_app.engine) as session:
        assert sales == admin_exports.sales_csv(session, layout=admin_exports.SPREADSHEET_FR)
        assert admissions == admin_exports.admissions_csv(session, layout=admin_exports.SPREADSHEET_FR)
    rows = [r for r in csv.DictReader(io.StringIO(sales.lstrip("\ufeff")), delimiter=";")
            if r["order_reference"] == reference]
    assert [(r["offer_type"], r["quantity"], r["persons"], r["amount_eur"]) for r in rows] == [
        ("duo", "2", "4", "150,00")]
    used = list(csv.DictReader(io.StringIO(admissions.lstrip("\ufeff")), delimiter=";"))
    assert any(r["gate"] == "Porte Nord" and r["persons"] == "2" for r in used)


def test_users_role_lock_and_force_logout(new_context, make_visitor, login, live_app) -> None:
    target_email, target_pw, target_id = make_visitor()
    target_page = new_context().new_page()
    login(target_page, target_email, target_pw)
    page, _email, _id = _admin(new_context, make_visitor, login)
    page.goto("/admin/utilisateurs")
    page.fill("#users-q", target_email)
    page.click("#users-search")
    page.locator(f"#user-row-{target_id}").wait_for()
    page.select_option(f"#user-role-{target_id}", "employee")
    page.click("#role-confirm")  # the role menu asks first (issue 13 item 9)
    page.locator("#admin-message").filter(has_text="Rôle modifié").wait_for()
    with Session(live_app.engine) as session:
        assert session.get(User, target_id).role == "employee"
        assert session.exec(select(UserSession).where(UserSession.user_id == target_id,
                                                      UserSession.revoked_at.is_(None))).all()
    page.click(f"#user-logout-{target_id}")
    page.locator("#admin-message").filter(has_text="sessions").wait_for()
    with Session(live_app.engine) as session:
        assert not session.exec(select(UserSession).where(UserSession.user_id == target_id,
                                                          UserSession.revoked_at.is_(None))).all()
    target_page.goto("/commandes")  # the revoked session no longer opens private pages
    target_page.wait_for_url(re.compile(r".*/connexion.*"))
    page.click(f"#user-lock-{target_id}")
    page.locator(f"#user-unlock-{target_id}").wait_for()
    with Session(live_app.engine) as session:
        assert session.get(User, target_id).is_locked is True
    page.click(f"#user-unlock-{target_id}")
    page.locator(f"#user-lock-{target_id}").wait_for()
    with Session(live_app.engine) as session:
        assert session.get(User, target_id).is_locked is False
        assert {"user.role_changed", "user.sessions_revoked", "user.locked", "user.unlocked"} <= set(session.exec(
            select(AuditLog.action).where(AuditLog.target_type == "user", AuditLog.target_id == str(target_id))))


def test_audit_log_filters_and_anomaly_panel(new_context, make_visitor, login, live_app) -> None:
    victim = f"victim-{int(time.time())}@example.org"
    now = utcnow()
    with Session(live_app.engine) as session:
        for i in range(6):
            session.add(LoginAttempt(email=victim, client_ip="203.0.113.77", succeeded=False,
                                     created_at=now - timedelta(seconds=30 * i)))
        session.commit()
    page, _email, _admin_id = _admin(new_context, make_visitor, login)
    page.goto("/admin/journal")
    page.locator("#anomaly-logins").filter(has_text=victim).wait_for()
    assert "203.0.113.77" in page.inner_text("#anomaly-logins")
    page.select_option("#audit-action", "login.succeeded")
    page.click("#audit-filter")
    with Session(live_app.engine) as session:
        expected = admin_reports.query_audit(session, action="login.succeeded", per_page=25)
    page.wait_for_function("t => document.querySelector('#audit-total').textContent.endsWith(t)",
                           arg=f" {expected.total}")
    rows = page.locator("[data-testid=audit-row]")
    assert rows.count() == len(expected.entries)
    assert {rows.nth(i).locator("code").inner_text() for i in range(rows.count())} == {"login.succeeded"}


def _private_markers(engine) -> list[str]:
    with Session(engine) as session:
        emails = list(session.exec(select(User.email).where(User.role == "admin")))
        references = list(session.exec(select(Order.reference).limit(20)))
    return emails + references + ["revenue_cents", "order_reference", "ticket_number", "persons_admitted"]


@pytest.mark.parametrize("who", ["visitor", "anonymous"])
def test_admin_pages_deny_visitors_and_anonymous(who, new_context, make_visitor, login, live_app) -> None:
    page = new_context().new_page()
    if who == "visitor":
        email, password, _id = make_visitor()
        login(page, email, password)
    markers = _private_markers(live_app.engine)
    for path in ADMIN_PAGES:
        page.goto(path)
        page.locator("#admin-denied").wait_for()
        time.sleep(0.5)
        assert page.locator("#admin-content").count() == 0
        html = page.content()
        assert not [m for m in markers if m in html], path


# The names of every admin event handler, with arguments that would do harm if the role check were missing.
def _attack_events(victim_id: int, admin_id: int, event_id: int, offer_id: int, reference: str) -> list[dict]:
    from jo_app.state.accounts.admin import AdminUsersState
    from jo_app.state.admin_audit import AdminAuditState
    from jo_app.state.admin_common import AdminState
    from jo_app.state.admin_dashboard import AdminDashboardState
    from jo_app.state.admin_live import AdminLiveState
    from jo_app.state.catalog.admin import AdminCatalogState
    from jo_app.state.orders.admin import AdminOrdersState

    form = {"title": "Pwned", "sport": "X", "venue": "Y", "city": "Z", "starts_at": "2027-01-01T10:00",
            "capacity": "1", "is_published": "on", "offer_type": "solo", "price": "0", "q": "", "role": "",
            "reason": "attack", "actor": "", "action": ""}
    args = {"user_id": victim_id, "role": "admin", "locked": True, "event_id": event_id, "published": False,
            "offer_id": offer_id, "reference": reference, "form": form, "what": f"event:{event_id}",
            "kind": "sales", "lang": "fr", "page": 1, "which": "event", "files": []}
    calls = [(AdminUsersState, "set_locked", {"user_id": admin_id, "locked": True})]
    for cls in (AdminState, AdminDashboardState, AdminCatalogState, AdminOrdersState, AdminUsersState,
                AdminAuditState, AdminLiveState):
        for name, handler in cls.event_handlers.items():
            if name == "setvar":
                calls.append((cls, name, {"var_name": "access", "value": "granted"}))
                continue
            params = [p for p in handler.fn.__code__.co_varnames[1:handler.fn.__code__.co_argcount]]
            calls.append((cls, name, {p: args[p] for p in params}))
    events = []
    for cls, name, payload in calls:  # open the order first, then try every action on it
        events.append({"name": f"{cls.get_full_name()}.{name}", "payload": payload,
                       "router_data": {"pathname": "/admin/commandes", "query": {}}})
    opener = [e for e in events if e["name"].endswith(".open_order")]
    return opener + [e for e in events if e not in opener]


def _snapshot(engine) -> dict:
    with Session(engine) as session:
        return {
            "users": sorted((u.id, u.role, u.is_locked) for u in session.exec(select(User))),
            "sessions": sorted((s.id, s.revoked_at) for s in session.exec(select(UserSession))),
            "events": sorted((e.id, e.title, e.capacity, e.is_published, e.image) for e in session.exec(select(Event))),
            "offers": sorted((o.id, o.is_published, o.price_cents) for o in session.exec(select(Offer))),
            "orders": sorted((o.id, o.status) for o in session.exec(select(Order))),
            "tickets": sorted((t.id, t.status) for t in session.exec(select(Ticket))),
        }


def _attack(url: str, events: list[dict], cookie: str | None) -> list[dict]:
    """Send `events` over a bare Reflex websocket (python-socketio, no browser) and return every reply."""
    received: list[dict] = []
    client = socketio.Client(reconnection=False)
    client.on("event", received.append, namespace="/_event")
    client.connect(f"{url}?token={uuid.uuid4()}", socketio_path="/_event", transports=["websocket"],
                   namespaces=["/_event"], headers={"Cookie": cookie} if cookie else {}, wait_timeout=10)
    try:
        for event in events:
            client.emit("event", namespace="/_event", data=event)
            time.sleep(0.05)
        time.sleep(3)
    finally:
        client.disconnect()
    return received


@pytest.mark.parametrize("who", ["visitor", "anonymous"])
def test_admin_handlers_called_by_name_change_nothing_and_leak_nothing(who, make_visitor, live_app) -> None:
    event_id, offers = _event(live_app.engine, f"Cible — {who} {int(time.time())}")
    victim_email, _p, victim = make_visitor()
    admin_email, _p2, admin_id = make_visitor(role=Role.ADMIN)
    reference = _buy(live_app.engine, victim, [(offers["solo"], 1)])
    cookie = None
    if who == "visitor":
        _e, _p3, attacker_id = make_visitor()
        with Session(live_app.engine) as session:
            cookie = "jo_session=" + sessions.create_session(session, attacker_id)
    events = _attack_events(victim, admin_id, event_id, offers["solo"], reference)
    assert len(events) > 30
    before = _snapshot(live_app.engine)
    with Session(live_app.engine) as session:
        last_audit = max(session.exec(select(AuditLog.id)).all() or [0])
    received = _attack(live_app.url, events, cookie)
    assert received, "the server answered the events"
    assert _snapshot(live_app.engine) == before
    with Session(live_app.engine) as session:
        new_actions = set(session.exec(select(AuditLog.action).where(AuditLog.id > last_audit)))
    assert not {a for a in new_actions if a.split(".")[0] in {"event", "offer", "order", "user"}}
    blob = json.dumps(received, ensure_ascii=False)
    leaks = [m for m in [*_private_markers(live_app.engine), reference, victim_email, admin_email] if m in blob]
    assert not leaks
    assert '"granted"' not in blob and "base64" not in blob and "_download" not in blob
    # Control: the same kind of message from an administrator's session does act (the events are well formed).
    from jo_app.state.accounts.admin import AdminUsersState

    with Session(live_app.engine) as session:
        admin_cookie = "jo_session=" + sessions.create_session(session, admin_id)
    _attack(live_app.url, [{"name": f"{AdminUsersState.get_full_name()}.set_locked",
                            "payload": {"user_id": victim, "locked": True},
                            "router_data": {"pathname": "/admin/utilisateurs", "query": {}}}], admin_cookie)
    with Session(live_app.engine) as session:
        assert session.get(User, victim).is_locked is True
