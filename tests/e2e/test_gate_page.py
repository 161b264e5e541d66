"""The employee gate page /controle in real headless Chromium, with a FAKE CAMERA showing real ticket QR codes.

Tickets are bought through the services (cart + checkout with the test card) for a dedicated session starting in
about an hour (so its gates are open). The camera is Chromium's fake capture device fed with a .y4m made from a
QR image (ffmpeg); the file is re-read each time the page re-opens the camera, so a test overwrites it and toggles
the camera to "show" the next ticket. Decoding happens in the page (zxing WASM served by the app itself).
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import qrcode
from PIL import Image
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import Role, ScanAttempt, Ticket, TicketStatus
from jo_app.services import payment
from jo_app.services.accounts import users
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.orders import cart, checkout
from jo_app.services.orders import history as orders
from jo_app.services.tickets import signing
from jo_app.services.tickets import tokens as ticket_tokens
from jo_app.services.tickets.tokens import InvalidTokenError
from jo_app.timeutil import utcnow
from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, login

PHONE = {"width": 360, "height": 740}
CARD = payment.PaymentCard(number="4242424242424242", exp_month=12, exp_year=utcnow().year + 3, cvc="123",
                           holder="Camille Durand")
CAMERA_TIMEOUT = 45_000  # decoding in headless Chromium on 2 busy cores can take a few seconds per frame
PARIS = ZoneInfo("Europe/Paris")


# --- data through the services ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sold:
    ticket_id: int
    number: str
    payload: str
    reference: str
    persons: int


@pytest.fixture(scope="module", autouse=True)
def app_settings(live_app) -> Iterator[None]:
    """This process signs tickets like the app does: same SECRET_KEY (QR key commitments, signing-key wrapping)."""
    names = ("SECRET_KEY", "JO_ENV", "BCRYPT_ROUNDS")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({name: live_app.env[name] for name in names})
    get_settings.cache_clear()
    signing.clear_cache()
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()
    signing.clear_cache()


@pytest.fixture(scope="module")
def gate_events(live_app) -> dict[str, int]:
    """Two sessions starting in ~1 hour (gates open), each with a solo and a duo offer."""
    ids: dict[str, int] = {}
    with Session(live_app.engine) as session:
        for key in ("main", "other"):
            event_id = catalog_admin.create_event(session, None, catalog_admin.EventInput(
                title=f"Gate e2e {key} {uuid.uuid4().hex[:6]}", sport="Judo", venue="Arena Champ-de-Mars",
                starts_at=utcnow() + timedelta(hours=1), capacity=500))
            ids[key] = event_id
            ids[f"{key}_solo"] = catalog_admin.create_offer(session, None, catalog_admin.OfferInput(
                event_id=event_id, title="Solo", offer_type="solo", price_cents=4_500))
            ids[f"{key}_duo"] = catalog_admin.create_offer(session, None, catalog_admin.OfferInput(
                event_id=event_id, title="Duo", offer_type="duo", price_cents=8_500))
    return ids


def buy(live_app, offer_id: int, *, cancel: bool = False) -> Sold:
    """A new visitor buys one pack of `offer_id` (real cart + checkout); optionally the order is then cancelled."""
    with Session(live_app.engine) as session:
        user = users.create_user(session, email=f"gate-{uuid.uuid4().hex[:10]}@example.org",
                                 password="Sprint!Paris2024", first_name="Léa", last_name="Moreau",
                                 role=Role.VISITOR, verified=True)
        session.commit()
        user_id = int(user.id)
        cart.add_item(session, user_id, offer_id, 1)
        session.commit()
        result = checkout.checkout(session, user_id, CARD, idempotency_key=uuid.uuid4().hex)
        ticket = session.exec(select(Ticket).where(Ticket.id == result.ticket_ids[0])).one()
        payload = ticket_tokens.ensure_payload(session, ticket)
        sold = Sold(int(ticket.id), ticket.number, payload, result.reference, ticket.persons)
        session.commit()
        if cancel:
            orders.cancel_order(session, None, result.reference, reason="e2e gate test")
    return sold


def tampered(live_app, payload: str) -> str:
    """The same ticket's text with one signature bit flipped (canonical base32, so only the signature is wrong)."""
    prefix = ticket_tokens.PREFIX
    body = payload[len(prefix):]
    raw = bytearray(base64.b32decode(body + "=" * (-len(body) % 8)))
    raw[-10] ^= 0x01
    forged = prefix + base64.b32encode(bytes(raw)).decode().rstrip("=")
    assert forged != payload and len(forged) == len(payload)
    with Session(live_app.engine) as session, pytest.raises(InvalidTokenError):
        ticket_tokens.verify(session, forged)
    return forged


def ticket_row(live_app, ticket_id: int) -> Ticket:
    with Session(live_app.engine) as session:
        return session.exec(select(Ticket).where(Ticket.id == ticket_id)).one()


def paris(moment) -> str:
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def make_employee(live_app, role: Role = Role.EMPLOYEE) -> tuple[str, str]:
    address = f"gate-staff-{uuid.uuid4().hex[:8]}@example.org"
    with Session(live_app.engine) as session:
        users.create_user(session, email=address, password="Sprint!Paris2024", first_name="Julien",
                          last_name="Bernard", role=role, verified=True)
        session.commit()
    return address, "Sprint!Paris2024"


# --- fake camera --------------------------------------------------------------------------------------------

class FakeCamera:
    """The .y4m file Chromium's fake capture device reads (re-opened at each getUserMedia)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.show(None)

    def show(self, payload: str | None) -> None:
        frame = Image.new("RGB", (1280, 720), "white")
        if payload:
            img = qrcode.make(payload, box_size=5, border=4).convert("RGB")
            frame.paste(img, ((1280 - img.width) // 2, (720 - img.height) // 2))
        png = self.path.with_suffix(".png")
        frame.save(png)
        tmp = self.path.with_name("next-" + self.path.name)
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(png), "-frames:v", "1",
                        "-pix_fmt", "yuv420p", str(tmp)], check=True)
        tmp.replace(self.path)


@pytest.fixture(scope="module")
def camera(tmp_path_factory) -> FakeCamera:
    return FakeCamera(tmp_path_factory.mktemp("gatecam") / "camera.y4m")


@pytest.fixture(scope="module")
def camera_browser(browser, camera: FakeCamera):
    """A second Chromium (same Playwright instance as the harness) with the fake camera flags."""
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=[
        *CHROMIUM_ARGS, "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera.path}", "--use-fake-ui-for-media-stream"])
    yield chromium
    chromium.close()


@pytest.fixture
def phone(camera_browser, live_app) -> Iterator[Callable]:
    """Factory of phone-sized (360 px) contexts of the camera browser, camera permission granted."""
    contexts = []

    def factory():
        ctx = camera_browser.new_context(viewport=PHONE, base_url=live_app.url, permissions=["camera"],
                                         is_mobile=True, has_touch=True)
        ctx.set_default_timeout(20_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield factory
    for ctx in contexts:
        ctx.close()


# --- page helpers -------------------------------------------------------------------------------------------

def open_gate(page, email: str, password: str, gate: str, event_id: int) -> None:
    page.set_default_timeout(30_000)  # 2 shared cores: first page loads can be slow
    try:
        login(page, email, password, next_path="/controle")
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "gate-failed-login.png"))
        raise AssertionError(f"login failed at {page.url}: {page.locator('body').inner_text()[:600]}") from None
    page.goto("/controle")  # full load: the camera permission policy is per document
    page.locator("#gate-name").fill(gate)
    page.locator("#gate-event").select_option(str(event_id))
    page.locator("#gate-start").click()
    page.locator("#gate-current-gate").wait_for()
    assert page.locator("#gate-current-gate").inner_text() == gate


def wait_verdict(page, kind: str, timeout: float = 20_000) -> str:
    """Wait for the full-screen verdict `kind`; returns its detail line."""
    try:
        page.wait_for_function(
            "kind => { const el = document.querySelector('#gate-verdict');"
            " return el && el.getAttribute('data-verdict') === kind; }", arg=kind, timeout=timeout)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / f"gate-failed-{kind}.png"), full_page=True)
        raise AssertionError(f"no {kind} verdict; recent scans: {recent_kinds(page)}; "
                             f"page: {page.locator('main').inner_text()[:800]}") from None
    return page.locator("#gate-verdict-detail").inner_text()


def wait_overlay_gone(page) -> None:
    page.locator("#gate-verdict").wait_for(state="detached", timeout=6_000)


def restart_camera(page) -> None:
    """Turn the camera off and on again: Chromium re-opens the (overwritten) fake video file."""
    page.locator("#gate-camera-toggle").click()
    page.locator("#gate-camera").wait_for(state="detached")
    page.locator("#gate-camera-toggle").click()
    page.locator("#gate-camera").wait_for()


def manual(page, code: str) -> None:
    page.locator("#gate-manual-input").fill(code)
    page.locator("#gate-manual-submit").click()


def recent_kinds(page) -> list[str]:
    return page.eval_on_selector_all("#gate-recent [data-verdict]", "els => els.map(e => e.dataset.verdict)")


# --- tests --------------------------------------------------------------------------------------------------

def test_camera_scans_give_each_verdict(live_app, gate_events, camera, phone, screenshot) -> None:
    valid = buy(live_app, gate_events["main_duo"])
    cancelled = buy(live_app, gate_events["main_solo"], cancel=True)
    forged = tampered(live_app, valid.payload)
    email, password = make_employee(live_app)

    page = phone()
    wasm_urls: list[str] = []
    page.on("request", lambda r: wasm_urls.append(r.url) if ".wasm" in r.url else None)
    camera.show(valid.payload)
    open_gate(page, email, password, "Porte Caméra", gate_events["main"])
    page.locator("#gate-camera video").wait_for()

    detail = wait_verdict(page, "VALID", CAMERA_TIMEOUT)
    assert "2" in detail  # a duo admits two persons
    assert page.locator("#gate-verdict-title").inner_text() in ("VALIDE", "VALID")
    screenshot(page, "gate-camera-valid-360", full_page=False)
    row = ticket_row(live_app, valid.ticket_id)
    assert row.status == TicketStatus.USED.value and row.used_gate == "Porte Caméra"
    assert wasm_urls and all(u.startswith(live_app.url + "/") for u in wasm_urls), wasm_urls
    assert page.locator("#gate-admitted").inner_text() == "2"
    wait_overlay_gone(page)  # auto-dismissed, scanner still there
    assert page.locator("#gate-camera video").count() == 1

    camera.show(forged)
    restart_camera(page)
    detail = wait_verdict(page, "INVALID", CAMERA_TIMEOUT)
    assert detail
    screenshot(page, "gate-camera-invalid-360", full_page=False)
    seen_forged = time.monotonic()

    # The genuine ticket again, after the ~3 s de-bounce window: already used, with when and where.
    time.sleep(max(0.0, 3.5 - (time.monotonic() - seen_forged)))
    camera.show(valid.payload)
    restart_camera(page)
    detail = wait_verdict(page, "ALREADY_USED", CAMERA_TIMEOUT)
    assert paris(row.used_at) in detail and "Porte Caméra" in detail, detail
    screenshot(page, "gate-camera-already-used-360", full_page=False)

    camera.show(cancelled.payload)
    restart_camera(page)
    detail = wait_verdict(page, "CANCELLED", CAMERA_TIMEOUT)
    screenshot(page, "gate-camera-cancelled-360", full_page=False)
    camera.show(None)

    assert recent_kinds(page)[:4] == ["CANCELLED", "ALREADY_USED", "INVALID", "VALID"]
    assert ticket_row(live_app, cancelled.ticket_id).status == TicketStatus.CANCELLED.value
    with Session(live_app.engine) as session:
        valid_scans = session.exec(select(ScanAttempt).where(ScanAttempt.ticket_id == valid.ticket_id)).all()
    # The camera kept seeing the code for seconds: the de-bounce validated it once per presentation, not per frame.
    assert sorted(s.verdict for s in valid_scans) == ["ALREADY_USED", "VALID"]


def test_manual_and_keyboard_wedge_entry(live_app, gate_events, new_context, screenshot) -> None:
    valid = buy(live_app, gate_events["main_solo"])
    cancelled = buy(live_app, gate_events["main_duo"], cancel=True)
    elsewhere = buy(live_app, gate_events["other_solo"])
    forged = tampered(live_app, valid.payload)
    email, password = make_employee(live_app)

    page = new_context(viewport=PHONE).new_page()  # no camera here: manual entry must not need one
    open_gate(page, email, password, "Porte Nord", gate_events["main"])

    # Record the vibration patterns the page asks for (the beep goes through WebAudio).
    page.evaluate("() => { window.__vibrations = [];"
                  " navigator.vibrate = (p) => { window.__vibrations.push(p); return true; }; }")
    # A keyboard-wedge reader types the code into the focused field, then Enter.
    page.locator("#gate-manual-input").focus()
    page.keyboard.type(valid.payload)
    page.keyboard.press("Enter")
    detail = wait_verdict(page, "VALID")
    assert "1" in detail
    screenshot(page, "gate-manual-valid-360", full_page=False)
    assert page.locator("#gate-manual-input").input_value() == ""  # cleared for the next ticket
    page.wait_for_function("() => window.__vibrations.length === 1 && !!window.__joGateAudio")
    assert page.evaluate("() => window.__vibrations") == [[120]]  # one short buzz for VALID
    used = ticket_row(live_app, valid.ticket_id)
    assert used.status == TicketStatus.USED.value and used.used_gate == "Porte Nord"

    manual(page, valid.payload)
    detail = wait_verdict(page, "ALREADY_USED")
    assert paris(used.used_at) in detail and "Porte Nord" in detail, detail
    screenshot(page, "gate-manual-already-used-360", full_page=False)

    manual(page, forged)
    wait_verdict(page, "INVALID")
    page.wait_for_function("() => window.__vibrations.length === 3")
    assert page.evaluate("() => window.__vibrations")[2] == [400, 100, 400]  # long buzzes for a refusal
    screenshot(page, "gate-manual-invalid-360", full_page=False)

    manual(page, cancelled.payload)
    wait_verdict(page, "CANCELLED")
    screenshot(page, "gate-manual-cancelled-360", full_page=False)

    manual(page, elsewhere.payload)
    wait_verdict(page, "WRONG_EVENT")
    screenshot(page, "gate-manual-wrong-event-360", full_page=False)
    assert ticket_row(live_app, elsewhere.ticket_id).status == TicketStatus.VALID.value

    manual(page, "not a ticket at all")  # no ticket or order has this number: unknown, not "forged"
    assert "falsifi" not in wait_verdict(page, "UNKNOWN_TICKET")
    page.locator("#gate-verdict").click()  # tap closes at once
    page.locator("#gate-verdict").wait_for(state="detached", timeout=1_500)
    assert recent_kinds(page)[:6] == ["UNKNOWN_TICKET", "WRONG_EVENT", "CANCELLED", "INVALID", "ALREADY_USED",
                                      "VALID"]
    screenshot(page, "gate-recent-360")


def test_other_device_counter_moves_within_one_second(live_app, gate_events, new_context) -> None:
    ticket = buy(live_app, gate_events["main_duo"])
    first, second = make_employee(live_app), make_employee(live_app)
    page_a = new_context(viewport=PHONE).new_page()
    page_b = new_context(viewport=PHONE).new_page()
    open_gate(page_a, *first, "Porte A", gate_events["main"])
    open_gate(page_b, *second, "Porte B", gate_events["main"])
    admin = new_context().new_page()  # an open admin dashboard follows the scans too
    admin.set_default_timeout(30_000)
    login(admin, *make_employee(live_app, Role.ADMIN), next_path="/admin")
    admin.goto("/admin")
    admin.locator("#kpi-admissions").wait_for()
    admin_before = int(admin.locator("#kpi-admissions").inner_text())

    before = int(page_b.locator("#gate-admitted").inner_text())
    page_b.evaluate("""() => { const el = document.querySelector('#gate-admitted');
        window.__changedAt = null;
        new MutationObserver(() => { if (window.__changedAt === null) window.__changedAt = Date.now(); })
            .observe(el, {childList: true, subtree: true, characterData: true}); }""")
    manual(page_a, ticket.payload)
    wait_verdict(page_a, "VALID")
    admitted_at = page_a.evaluate("() => Date.now()")
    page_b.wait_for_function("n => document.querySelector('#gate-admitted').textContent.trim() === String(n)",
                             arg=before + ticket.persons, timeout=1_000)
    changed_at = page_b.evaluate("() => window.__changedAt")
    assert changed_at is not None and changed_at - admitted_at < 1_000
    assert page_b.locator("#gate-sold").inner_text() == page_a.locator("#gate-sold").inner_text()
    assert page_b.locator("#gate-verdict").count() == 0  # the verdict itself stays on the scanning device
    admin.wait_for_function("n => document.querySelector('#kpi-admissions').textContent.trim() === String(n)",
                            arg=admin_before + ticket.persons, timeout=5_000)


RAW_SOCKET_JS = """async ({calls, wait}) => {
  const url = location.origin.replace(/^http/, 'ws') + '/_event/?token=' + Math.random().toString(36).slice(2)
    + Date.now() + '&EIO=4&transport=websocket';
  const ws = new WebSocket(url);
  const received = [];
  return await new Promise((resolve) => {
    ws.onmessage = (m) => {
      const data = String(m.data);
      received.push(data);
      if (data.startsWith('0{')) ws.send('40/_event,');
      else if (data === '2') ws.send('3');
      else if (data.startsWith('40/_event,')) {
        for (const c of calls) ws.send('42/_event,' + JSON.stringify(['event', {name: c.name, payload: c.payload,
          router_data: {pathname: '/controle', query: {}, asPath: '/controle'}}]));
        setTimeout(() => { ws.close(); resolve(received); }, wait);
      }
    };
    ws.onerror = () => resolve(['socket error', ...received]);
  });
}"""


def raw_calls(event_id: int, payload: str) -> list[dict]:
    from jo_app.state.gate.control import GateState

    base = GateState.get_full_name()
    return [
        {"name": f"{base}.on_load", "payload": {}},
        {"name": f"{base}.configure", "payload": {"form": {"gate": "Porte Pirate", "event_id": str(event_id)}}},
        {"name": f"{base}.submit_manual", "payload": {"form": {"code": payload}}},
        {"name": f"{base}.scan", "payload": {"codes": [payload]}},
    ]


def test_visitor_is_denied_and_cannot_call_gate_handlers(live_app, gate_events, new_context, make_visitor,
                                                         screenshot) -> None:
    target = buy(live_app, gate_events["main_solo"])
    control = buy(live_app, gate_events["main_solo"])
    email, password, _ = make_visitor()

    page = new_context(viewport=PHONE).new_page()
    login(page, email, password)
    page.goto("/controle")
    page.locator("#gate-denied").wait_for()
    assert page.locator("#gate-manual-input").count() == 0
    assert page.locator("#gate-camera").count() == 0
    assert page.locator("#gate-event").count() == 0
    screenshot(page, "gate-denied-visitor-360", full_page=False)

    # The visitor's browser (its session cookie included) and an anonymous one call the handlers by name.
    anonymous = new_context().new_page()
    anonymous.goto("/controle")
    anonymous.locator("#gate-denied").wait_for()
    calls = raw_calls(gate_events["main"], target.payload)
    for attacker in (page, anonymous):
        received = attacker.evaluate(RAW_SOCKET_JS, {"calls": calls, "wait": 4_000})
        assert any(m.startswith("40/_event,") for m in received), received  # the socket did connect
        text = "\n".join(received)
        assert target.number not in text and "Gate e2e" not in text and "Porte Pirate" not in text
        compact = text.replace(" ", "")
        assert re.search(r'"checked(_rx_state_)?":true', compact)  # the handlers did run (on_load said no)...
        assert not re.search(r'"allowed(_rx_state_)?":true', compact)  # ...and refused everything
    row = ticket_row(live_app, target.ticket_id)
    assert row.status == TicketStatus.VALID.value and row.used_at is None
    with Session(live_app.engine) as session:
        assert session.exec(select(ScanAttempt).where(ScanAttempt.ticket_id == target.ticket_id)).all() == []

    # Control: the very same raw calls from an employee's browser do admit a ticket (the channel works).
    staff = new_context(viewport=PHONE).new_page()
    login(staff, *make_employee(live_app))
    staff.goto("/controle")
    staff.locator("#gate-station").wait_for()
    received = staff.evaluate(RAW_SOCKET_JS, {"calls": raw_calls(gate_events["main"], control.payload),
                                              "wait": 4_000})
    assert control.number in "\n".join(received)
    assert ticket_row(live_app, control.ticket_id).status == TicketStatus.USED.value
