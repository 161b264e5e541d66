"""Issue 13 item 2: an employee who reaches the gate through the app's own menu (desktop link, phone menu) gets the
camera: logs in by clicks, opens "Contrôle des billets" from the navbar, starts a checkpoint, the fake camera shows
a real ticket's QR code and the page admits it (VALID).
"""

from __future__ import annotations

from sqlmodel import Session

from jo_app.models import Ticket, TicketStatus
from tests.e2e import test_gate_page as gate_page
from tests.e2e.clicks import DESKTOP, PHONE, login_by_clicks, nav
from tests.e2e.test_gate_page import CAMERA_TIMEOUT, buy, make_employee, wait_verdict

# The gate tests' fixtures: the fake-camera browser, the sessions with open gates, this process signing like the app.
app_settings, camera, camera_browser, gate_events = (gate_page.app_settings, gate_page.camera, gate_page.camera_browser,
                                                     gate_page.gate_events)


def gate_from_menu(camera_browser, live_app, camera, gate_events, viewport: dict, gate: str, **extra) -> None:
    sold = buy(live_app, gate_events["main_duo"])
    email, password = make_employee(live_app)
    context = camera_browser.new_context(viewport=viewport, base_url=live_app.url, permissions=["camera"], **extra)
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        camera.show(sold.payload)
        login_by_clicks(page, email, password)
        nav(page, "Contrôle des billets")
        page.locator("#gate-name").fill(gate)
        page.locator("#gate-event").select_option(str(gate_events["main"]))
        page.locator("#gate-start").click()
        page.locator("#gate-camera video").wait_for()
        wait_verdict(page, "VALID", CAMERA_TIMEOUT)
        assert page.locator("#gate-camera-error").count() == 0
        with Session(live_app.engine) as db:
            row = db.get(Ticket, sold.ticket_id)
            assert row.status == TicketStatus.USED.value and row.used_gate == gate
    finally:
        camera.show(None)
        context.close()


def test_gate_camera_from_desktop_menu(camera_browser, live_app, camera, gate_events) -> None:
    gate_from_menu(camera_browser, live_app, camera, gate_events, DESKTOP, "Porte Menu Bureau")


def test_gate_camera_from_phone_menu(camera_browser, live_app, camera, gate_events) -> None:
    gate_from_menu(camera_browser, live_app, camera, gate_events, PHONE, "Porte Menu Mobile", is_mobile=True,
                   has_touch=True)


def test_camera_retry_button_asks_for_the_camera_again(new_context, live_app, gate_events) -> None:
    """No camera on this device (plain Chromium, no fake device): the error shows; "Réessayer la caméra" makes a
    new camera request (it used to reload the page, which kept the stale error and the camera off)."""
    email, password = make_employee(live_app)
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_init_script("""(() => { window.__cameraRequests = 0;
        const md = navigator.mediaDevices; if (!md || !md.getUserMedia) return;
        const original = md.getUserMedia.bind(md);
        md.getUserMedia = (c) => { window.__cameraRequests += 1; return original(c); }; })()""")
    page = context.new_page()
    login_by_clicks(page, email, password)
    nav(page, "Contrôle des billets")
    page.locator("#gate-name").fill("Porte Sans Caméra")
    page.locator("#gate-event").select_option(str(gate_events["main"]))
    page.locator("#gate-start").click()
    page.locator("#gate-camera-error").wait_for()
    before = page.evaluate("() => window.__cameraRequests")
    assert before >= 1
    page.locator("#gate-camera-retry").click()
    page.wait_for_function("n => window.__cameraRequests > n", arg=before)
    page.locator("#gate-camera-error").wait_for()  # still no camera here: the error comes back, fresh
    assert page.locator("#gate-manual-input").is_visible()  # manual entry stays available
