"""Loopback production topology (tests/deploy/topology.py): real nginx with the repo's configuration in front of
two app processes (Granian workers each) sharing PostgreSQL and Redis.

- nginx: HTTP->HTTPS, static frontend with caching and gzip, security headers, /metrics hidden, request limits,
  request id forwarded, API and health through the upstream;
- a browser journey (login, buy, see tickets) through nginx, with page loads spread over both app processes;
- kill -9 one app process during a burst of checkouts: clients reconnect to the other one, nobody is logged out,
  and afterwards seats sold = persons of the tickets of paid orders, no paid order without tickets, no ticket
  without a paid order;
- restart the whole app: logged-in users stay logged in, carts survive.
"""

from __future__ import annotations

import contextlib
import gzip
import re
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import text
from sqlmodel import Session

from jo_app.models import Role
from jo_app.services.accounts import users as accounts
from jo_app.services.orders import cart
from tests.deploy.conftest import PASSWORD, add_event
from tests.deploy.topology import METRICS_TOKEN, Topology, http, topology
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

# One topology per run: with `pytest -n 2 --dist loadgroup` every test of this module goes to the same worker
# (with plain `--dist load` a second worker may build a second topology: correct, just slower).
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("topology")]


@pytest.fixture(scope="module")
def topo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    with topology(tmp_path_factory.mktemp("topology")) as running:
        yield running


@pytest.fixture(scope="module")
def shop(topo: Topology) -> dict[str, int]:
    with Session(topo.engine, expire_on_commit=False) as session:
        event_id, offer_id = add_event(session, capacity=1000, hours_ahead=48, persons=2)
    return {"event_id": event_id, "offer_id": offer_id}


@pytest.fixture(scope="module")
def browser(topo: Topology):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_context(browser, topo: Topology):
    context = browser.new_context(base_url=topo.url, ignore_https_errors=True, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    return context


def make_user(topo: Topology, role: Role = Role.VISITOR) -> tuple[str, int]:
    email = f"topo-{uuid.uuid4().hex[:10]}@example.org"
    with Session(topo.engine, expire_on_commit=False) as session:
        user = accounts.create_user(session, email=email, password=PASSWORD, first_name="Camille", last_name="Durand",
                                    role=role, verified=True)
        session.commit()
        return email, int(user.id)


def login(page, email: str) -> None:
    page.goto("/connexion")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-submit").click()
    page.wait_for_function("() => !['/connexion', '/auth'].some(p => location.pathname.startsWith(p))")


def fill_card(page) -> None:
    page.locator("#card-holder").fill("Camille Durand")
    page.locator("#card-number").fill("4242 4242 4242 4242")
    page.locator("#card-expiry").fill("12/39")
    page.locator("#card-cvc").fill("123")


def invariants(topo: Topology) -> dict[str, int]:
    with topo.engine.connect() as conn:
        mismatched = conn.execute(text("""
            SELECT count(*) FROM events e WHERE e.seats_sold <> COALESCE((
                SELECT sum(t.persons) FROM tickets t JOIN orders o ON o.id = t.order_id
                WHERE t.event_id = e.id AND o.status = 'paid'), 0)""")).scalar_one()
        paid_without_tickets = conn.execute(text("""
            SELECT count(*) FROM orders o WHERE o.status = 'paid'
            AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.order_id = o.id)""")).scalar_one()
        tickets_without_paid_order = conn.execute(text("""
            SELECT count(*) FROM tickets t LEFT JOIN orders o ON o.id = t.order_id
            WHERE o.id IS NULL OR o.status <> 'paid'""")).scalar_one()
    return {"events_with_mismatched_seats": mismatched, "paid_orders_without_tickets": paid_without_tickets,
            "tickets_without_paid_order": tickets_without_paid_order}


def ws_opens(topo: Topology) -> dict[str, int]:
    return {app.name: sum(1 for line in app.json_logs() if line.get("event") == "ws_open") for app in topo.apps}


# --- nginx ------------------------------------------------------------------------------------------------------------

def test_http_redirects_to_https(topo: Topology):
    status, headers, _ = http(f"http://127.0.0.1:{topo.http_port}/billetterie?x=1", follow=False)
    assert status == 301
    assert headers["location"] == f"https://127.0.0.1:{topo.https_port}/billetterie?x=1"


def test_static_frontend_is_served_by_nginx_with_caching_gzip_and_security_headers(topo: Topology):
    status, headers, body = http(f"{topo.url}/", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["server"] == "nginx"  # server_tokens off: no version
    html = gzip.decompress(body).decode() if headers.get("content-encoding") == "gzip" else body.decode()
    assert "<html" in html.lower()
    assert headers["cache-control"] == "no-cache"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["strict-transport-security"].startswith("max-age=")
    assert headers["permissions-policy"].startswith("camera=(self)")
    asset = re.search(r'(/assets/[^"\']+\.js)', html).group(1)
    status, headers, body = http(f"{topo.url}{asset}", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert "immutable" in headers["cache-control"] and headers["vary"] == "Accept-Encoding"
    # A dynamic route gets the single-page-app shell; every document may use the camera (same origin).
    status, headers, _ = http(f"{topo.url}/controle")
    assert status == 200 and headers["permissions-policy"].startswith("camera=(self)")
    status, _, body = http(f"{topo.url}/billetterie/{12345}")
    assert status == 200 and b"<html" in body.lower()


def test_backend_routes_go_through_the_upstream_with_a_request_id(topo: Topology):
    status, headers, body = http(f"{topo.url}/_health")
    assert status == 200 and b'"db":true' in body and b'"redis":true' in body
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])  # nginx's $request_id, echoed by the app
    status, headers, _ = http(f"{topo.url}/billets/1/ticket.pdf")
    assert status in (401, 403, 404) and headers["server"] == "nginx"
    assert "x-request-id" in headers
    assert http(f"{topo.url}/metrics")[0] == 404  # Prometheus scrapes the apps directly
    assert http(f"http://127.0.0.1:{topo.apps[0].port}/metrics")[0] == 401  # production: the token is required
    status, _, body = http(f"http://127.0.0.1:{topo.apps[0].port}/metrics",
                           headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200
    assert b'jo_http_requests_total{method="GET",route="/_health",status="200"}' in body  # Reflex's own routes
    assert b"jo_db_up 1.0" in body
    big = b"x" * (2 * 1024 * 1024)
    assert http(f"{topo.url}/auth/logout", method="POST", data=big)[0] == 413


# --- Browser journey ----------------------------------------------------------------------------------------------

def test_browser_journey_through_nginx_spreads_over_both_app_processes(topo: Topology, shop, browser):
    email, user_id = make_user(topo)
    context = new_context(browser, topo)
    page = context.new_page()
    before = ws_opens(topo)
    login(page, email)
    page.goto(f"/billetterie/{shop['event_id']}")
    page.locator(f"#add-{shop['offer_id']}").click()
    page.locator(f"#added-{shop['offer_id']}").wait_for()
    for _ in range(3):  # each page load is a new websocket: nginx spreads them over both processes
        page.goto("/panier")
        page.locator("#cart-total").wait_for()
    page.locator("#go-checkout").click()
    page.wait_for_url("**/paiement")
    fill_card(page)
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/commandes/[A-Z0-9-]+$"), timeout=60_000)
    page.locator("#order-confirmed").wait_for()
    page.goto("/billets")
    page.locator("#tickets-list [id^=ticket-]").first.wait_for()
    with topo.engine.connect() as conn:
        paid = conn.execute(text("SELECT count(*) FROM orders WHERE user_id = :u AND status = 'paid'"),
                            {"u": user_id}).scalar_one()
    assert paid == 1
    after = ws_opens(topo)
    assert all(after[name] > before[name] for name in after), (before, after)
    assert invariants(topo) == dict.fromkeys(invariants(topo), 0)
    context.close()


# --- Failover -----------------------------------------------------------------------------------------------------

def test_kill_one_app_process_during_a_checkout_burst(topo: Topology, shop, browser):
    clients = []
    opened_before = ws_opens(topo)
    for _ in range(6):
        email, user_id = make_user(topo)
        with Session(topo.engine, expire_on_commit=False) as session:
            cart.add_item(session, user_id, shop["offer_id"], 1)
            session.commit()
        context = new_context(browser, topo)
        page = context.new_page()
        login(page, email)
        page.goto("/paiement")
        fill_card(page)
        clients.append((context, page, user_id))

    victim = topo.apps[0]
    assert ws_opens(topo)[victim.name] > opened_before[victim.name]  # some of these clients are on the victim
    for index, (_, page, _) in enumerate(clients):
        page.locator("#pay-button").click(no_wait_after=True)
        if index == 2:
            victim.kill()  # kill -9 the supervisor and its Granian workers, mid-burst
    try:
        for _, page, user_id in clients:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if re.search(r"/commandes/[A-Z0-9-]+$", page.url):
                    break
                with topo.engine.connect() as conn:
                    paid = conn.execute(text("SELECT count(*) FROM orders WHERE user_id = :u AND status = 'paid'"),
                                        {"u": user_id}).scalar_one()
                if paid:
                    break
                # The click was lost with the killed process. The client reconnected to the survivor, which gave
                # it a fresh Reflex state (the dead process's socket record is still in Redis, so Reflex treats
                # the token as taken): the checkout page reloaded its summary from PostgreSQL with an empty card
                # form. The user types the card again and pays; the paid-order check above (and the cart emptied by
                # a committed checkout) means nobody pays twice.
                pay = page.locator("#pay-button")
                if page.url.endswith("/paiement") and pay.count() and pay.is_enabled():
                    fill_card(page)
                    # The button may go busy or the page re-render between the check and the click (the first
                    # payment answering after all): then look again, as the user would.
                    with contextlib.suppress(PlaywrightTimeoutError):
                        pay.click(no_wait_after=True, timeout=5_000)
                page.wait_for_timeout(3000)
        for _, page, user_id in clients:
            # Still logged in (the session is the HttpOnly cookie checked against PostgreSQL, the client state is
            # in Redis): the tickets page lists the tickets instead of sending to /connexion.
            page.goto("/billets")
            page.locator("#tickets-list [id^=ticket-]").first.wait_for(timeout=30_000)
            assert "/connexion" not in page.url
            with topo.engine.connect() as conn:
                orders = conn.execute(text("SELECT status FROM orders WHERE user_id = :u"), {"u": user_id}).all()
            assert [row.status for row in orders] == ["paid"], (user_id, orders)
    finally:
        for context, _, _ in clients:
            context.close()
        victim.start()
        victim.wait_ready()
    assert invariants(topo) == dict.fromkeys(invariants(topo), 0)


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_api_orders_survive_a_killed_process_exactly_once(topo: Topology, shop):
    """16 API clients order through nginx while one app process is killed: a request lost with it fails (502 or
    a dropped connection) and is retried with the same Idempotency-Key until it answers; each client ends with
    exactly one paid order."""
    import requests

    def client_for(email: str) -> requests.Session:
        session = requests.Session()
        session.trust_env, session.verify = False, False
        response = session.post(f"{topo.url}/api/v1/auth/token", json={"email": email, "password": PASSWORD},
                                timeout=30)
        assert response.status_code == 200, response.text
        session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        return session

    users = [make_user(topo) for _ in range(16)]
    sessions = [client_for(email) for email, _ in users]
    body = {"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2039, "cvc": "123",
                     "holder": "Camille Durand"},
            "items": [{"offer_id": shop["offer_id"], "quantity": 1}], "send_confirmation": False}
    outcomes: dict[int, list] = {}
    go = threading.Event()

    def buy(index: int) -> None:
        key = uuid.uuid4().hex
        go.wait()
        time.sleep(index * 0.05)  # spread over the kill
        attempts = []
        for _ in range(20):
            try:
                response = sessions[index].post(f"{topo.url}/api/v1/orders", json=body, timeout=30,
                                                headers={"Idempotency-Key": key})
                attempts.append(response.status_code)
                if response.status_code in (200, 201):
                    break
            except requests.RequestException as exc:
                attempts.append(type(exc).__name__)
            time.sleep(0.5)
        outcomes[index] = attempts

    victim = topo.apps[0]
    threads = [threading.Thread(target=buy, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    go.set()
    time.sleep(0.3)
    victim.kill()
    try:
        for thread in threads:
            thread.join(timeout=120)
        assert all(attempts and attempts[-1] in (200, 201) for attempts in outcomes.values()), outcomes
        with topo.engine.connect() as conn:
            for _, user_id in users:
                statuses = conn.execute(text("SELECT status FROM orders WHERE user_id = :u"), {"u": user_id}).all()
                assert [row.status for row in statuses] == ["paid"], (user_id, statuses, outcomes)
    finally:
        victim.start()
        victim.wait_ready()
    assert invariants(topo) == dict.fromkeys(invariants(topo), 0)


def test_restarting_the_whole_app_keeps_users_logged_in_and_their_carts(topo: Topology, shop, browser):
    email, user_id = make_user(topo)
    context = new_context(browser, topo)
    page = context.new_page()
    login(page, email)
    page.goto(f"/billetterie/{shop['event_id']}")
    page.locator(f"#add-{shop['offer_id']}").click()
    page.locator(f"#added-{shop['offer_id']}").wait_for()
    page.goto("/panier")
    total = page.locator("#cart-total").inner_text()

    topo.restart_apps()  # SIGTERM: each process forgets its socket records in Redis on the way out

    page.goto("/panier")
    page.locator("#cart-total").wait_for()
    assert "/connexion" not in page.url
    assert page.locator("#cart-total").inner_text() == total
    # Not asserted: that the tab keeps its Reflex client token. Reflex hands out a new one when the stopped
    # process's socket record is still in Redis, which depends on shutdown timing (seen under CI load). What the
    # user relies on - still logged in, same cart - is checked above and below.
    with topo.engine.connect() as conn:
        quantity = conn.execute(text("SELECT sum(ci.quantity) FROM cart_items ci JOIN carts c ON c.id = ci.cart_id "
                                     "WHERE c.user_id = :u"), {"u": user_id}).scalar_one()
    assert quantity == 1
    context.close()
