"""Issue 13 item 10 (polish), clicked at 1366x850 in French and English: favicon, no hydration error on a full load
of /compte, the app's own 404 page, a skeleton instead of "0 session(s)", real plurals and thousands separators,
shop filters kept in the URL (and after Back), a reversed date range said so, the staff navbar on one row, admin
times in Paris time (labelled), and CSV downloads a French spreadsheet opens in columns."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jo_app.models import Role
from tests.e2e.clicks_helpers import DESKTOP, buy, hydrated, login_via_menu, make_event, open_home

PARIS = ZoneInfo("Europe/Paris")
NNBSP = "\u202f"


def _watch(page) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {"errors": [], "failed": []}
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("response", lambda r: seen["failed"].append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return seen


def _paris_seconds(text: str) -> int:
    """Seconds between a displayed Paris clock time (HH:MM:SS) and Paris now."""
    now = datetime.now(PARIS)
    hours, minutes, seconds = (int(x) for x in re.search(r"(\d{2}):(\d{2}):(\d{2})", text).groups())
    shown = now.replace(hour=hours, minute=minutes, second=seconds)
    return abs(int((now - shown).total_seconds()))


def test_favicon_no_hydration_error_and_own_404_page(new_context, make_visitor):
    email, password, _ = make_visitor()
    page = new_context(viewport=DESKTOP).new_page()
    seen = _watch(page)
    open_home(page)
    login_via_menu(page, email, password)
    page.locator("#nav-account").click()
    page.wait_for_url(re.compile(r".*/compte/?$"))
    page.locator("#profile-email").filter(has_text=email).wait_for()
    page.reload()  # the full load of /compte (F5) that threw React error #418
    hydrated(page)
    page.locator("#profile-email").filter(has_text=email).wait_for()
    page.wait_for_timeout(500)
    assert not [e for e in seen["errors"] if "418" in e or "Hydration" in e], seen["errors"]
    assert page.evaluate("fetch('/favicon.ico').then(r => r.status + ' ' + r.headers.get('content-type'))") \
        .startswith("200 image/")
    assert seen["failed"] == [], seen["failed"]

    # An old or mistyped address: the app's own page, in the visitor's language, with a way back.
    page.goto("/billeterie-2024")
    page.locator("#not-found").wait_for()
    assert page.locator("#page-title").inner_text() == "Page introuvable"
    assert "404: Page not found" not in page.locator("body").inner_text()
    page.locator("#lang-en").click()
    page.locator("#page-title").filter(has_text="Page not found").wait_for()
    page.locator("#not-found-catalogue").click()
    page.wait_for_url(re.compile(r".*/billetterie/?$"))


def test_catalogue_skeleton_plurals_numbers_url_filters_and_date_range(new_context, live_app):
    tag = uuid.uuid4().hex[:6]
    big_id, _ = make_event(live_app, title=f"Grand stade {tag}", capacity=19211)
    last_id, _ = make_event(live_app, title=f"Dernière place {tag}", capacity=1, days=31)
    page = new_context(viewport=DESKTOP).new_page()
    # Record any "0 session" shown before the catalogue's first answer.
    page.add_init_script("""
      window.__zeroFlash = [];
      new MutationObserver(() => {
        const count = document.getElementById('results-count');
        const cards = document.querySelectorAll('[data-testid=event-card]').length;
        if (count && cards === 0 && /^0\\s/.test(count.textContent) && location.pathname.startsWith('/billetterie'))
          window.__zeroFlash.push(count.textContent);
      }).observe(document, {subtree: true, childList: true, characterData: true});
    """)
    open_home(page)
    page.locator("header a[href='/billetterie']").first.click()
    page.locator("[data-testid=event-card]").first.wait_for()
    assert page.evaluate("window.__zeroFlash") == []
    count_text = page.locator("#results-count").inner_text()
    assert re.fullmatch(rf"\d[\d{NNBSP}]* sessions?", count_text), count_text
    assert "(s)" not in page.locator("main").inner_text()

    # Thousands separators and singular forms, in French then English.
    page.locator("#filter-text").fill(tag)
    page.locator("#filter-search").click()
    page.locator("#results-count").filter(has_text="2 sessions").wait_for()
    assert page.locator(f"#seats-left-{big_id}").inner_text() == f"19{NNBSP}211"
    page.locator(f"[data-event-id='{last_id}']").filter(has_text="1 place restante").wait_for()
    page.locator("#lang-en").click()
    page.locator(f"#seats-left-{big_id}").filter(has_text="19,211").wait_for()
    page.locator(f"[data-event-id='{last_id}']").filter(has_text="1 seat left").wait_for()
    page.locator(f"[data-event-id='{big_id}']").filter(has_text="seats left").wait_for()
    page.locator("#lang-fr").click()

    # Filters in the URL: shareable, and Back from a session page finds them again.
    page.select_option("#filter-type", "duo")
    page.wait_for_url(re.compile(rf".*/billetterie\?type=duo&q={tag}$"))
    page.locator(f"[data-event-id='{big_id}'] a").first.click()
    page.wait_for_url(re.compile(rf".*/billetterie/{big_id}/?$"))
    hydrated(page)
    page.go_back()
    page.wait_for_url(re.compile(rf".*/billetterie\?type=duo&q={tag}$"))
    page.locator(f"[data-event-id='{big_id}']").wait_for()
    page.wait_for_function("() => document.getElementById('filter-type').value === 'duo'")
    assert page.locator("#filter-text").input_value() == tag
    assert page.locator("[data-testid=event-card]").count() == 2

    # A reversed date range says so.
    page.locator("#filter-date-from").fill("2027-05-10")
    page.locator("#filter-date-to").fill("2027-05-01")
    page.locator("#date-range-error").filter(has_text="avant").wait_for()
    assert page.locator("#no-results").count() == 0
    page.locator("#filter-date-to").fill("2027-05-20")
    page.locator("#date-range-error").wait_for(state="detached")


def _admin_dashboard(new_context, make_visitor):
    email, password, _ = make_visitor(role=Role.ADMIN)
    page = new_context(viewport=DESKTOP).new_page()
    open_home(page)
    login_via_menu(page, email, password)
    page.locator("#nav-admin").click()
    page.wait_for_url(re.compile(r".*/admin/?$"))
    page.locator("#kpi-revenue").wait_for()
    return page


def test_staff_navbar_stays_on_one_row_at_1366(new_context, make_visitor):
    page = _admin_dashboard(new_context, make_visitor)
    for lang in ("fr", "en"):
        if lang == "en":
            page.locator("#lang-en").click()
            page.locator("#page-shell[lang=en]").wait_for()
        tops = page.evaluate("() => Array.from(document.querySelectorAll("
                             "'header .jo-desktop-only a, header .jo-desktop-only button, header #lang-fr'))"
                             ".map(e => { const r = e.getBoundingClientRect(); "
                             "return Math.round(r.top + r.height / 2); })")
        assert len(tops) >= 9 and max(tops) - min(tops) <= 4, (lang, tops)


def test_admin_times_are_paris_time_and_labelled(new_context, make_visitor):
    page = _admin_dashboard(new_context, make_visitor)
    page.locator("#admin-timezone").filter(has_text="heure de Paris").wait_for()
    refreshed = page.locator("#dashboard-refreshed")
    assert "heure de Paris" in refreshed.inner_text()
    assert _paris_seconds(refreshed.inner_text()) < 180
    page.locator("#admin-nav-audit").click()
    page.locator("#audit-table").filter(has_text="Heure (Paris)").wait_for()
    newest = page.locator("#audit-table tbody tr").first.locator("td").first.inner_text()
    assert _paris_seconds(newest) < 180, newest


def test_dashboard_csv_opens_in_columns_in_a_french_spreadsheet(new_context, live_app, make_visitor):
    _event_id, offers = make_event(live_app, title=f"Export tableur {uuid.uuid4().hex[:6]}")
    _buyer, _pw, buyer_id = make_visitor()
    buy(live_app, buyer_id, offers["solo"])
    page = _admin_dashboard(new_context, make_visitor)
    with page.expect_download() as info:
        page.locator("#export-sales").click()
    raw = Path(info.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8")), delimiter=";"))
    assert rows[0][:2] == ["order_reference", "paid_at_paris"] and len(rows) >= 2
    assert re.fullmatch(r"\d+,\d{2}", rows[-1][rows[0].index("amount_eur")])
