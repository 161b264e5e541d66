"""Accounts in a real browser: sign-up -> e-mail code (real SMTP) -> login -> 2FA with `oathtool` -> logout ->
login with 2FA; HttpOnly cookie; sessions; forgotten password; English pages; screenshots at 1280 and 360 px."""

from __future__ import annotations

import re
import secrets
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from jo_app.i18n import CATALOGUE
from jo_app.models import Consent, Event, Offer, Order, OrderItem, OrderStatus, Ticket, TicketStatus, User
from jo_app.services.accounts import twofactor
from jo_app.timeutil import utcnow
from tests.mail_codes import code_in, other_code

PASSWORD = "Piste!Bleue2024"
AFTER_LOGIN = re.compile(r".*/billets/?$")
ACCOUNT_PAGES = ["/connexion", "/inscription", "/verification", "/mot-de-passe-oublie", "/confidentialite",
                 "/mentions-legales", "/cgv"]


def mail_code(smtp, to: str, subject: str) -> str:
    message = smtp.wait_for(to, subject)
    body = message.get_body(("plain",)).get_content()
    return code_in(body)


def oathtool(secret: str) -> str:
    return subprocess.run(["oathtool", "--totp", "-b", secret], check=True, capture_output=True,
                          text=True).stdout.strip()


def wait_next_totp_step(after_step: int) -> None:
    """TOTP steps are single-use: wait until the clock is past `after_step`."""
    while int(time.time() // 30) <= after_step:
        time.sleep(0.5)


def goto(page, path: str) -> None:
    """Navigate and wait until the page state (and its on_load handlers) reached the browser."""
    page.goto(path)
    page.locator("#page-shell[data-hydrated=true]").wait_for()


def fill_login(page, email: str, password: str) -> None:
    goto(page, "/connexion")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()


def log_in(page, email: str, password: str) -> None:
    fill_login(page, email, password)
    page.wait_for_url(AFTER_LOGIN)


def session_cookie(context) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == "jo_session"), None)


def test_register_verify_login_2fa_logout_login_again(page, context, live_app, smtp, screenshot) -> None:
    address = f"journey-{uuid.uuid4().hex[:8]}@example.org"
    goto(page, "/inscription")
    page.locator("#f-first_name").fill("Léa")
    page.locator("#f-last_name").fill("Dupont")
    page.locator("#f-email").fill(address)
    # Live rules: a weak password leaves rules unmet, a good one meets all five (computed in the browser).
    page.locator("#f-password").fill("abc")
    assert page.locator("#f-password-rules li[data-met=true]").count() == 1
    page.locator("#f-password").fill(PASSWORD)
    page.wait_for_function("() => document.querySelectorAll('#f-password-rules li[data-met=true]').length === 5")
    # No consent: refused next to the checkbox, nothing created.
    page.locator("#f-consent").evaluate("el => el.removeAttribute('required')")
    page.locator("#register-submit").click()
    page.locator("#f-consent-error").filter(has_text="politique de confidentialité").wait_for()
    with Session(live_app.engine) as db:
        assert db.exec(select(User).where(User.email == address)).first() is None
    page.locator("#f-consent").check()
    page.locator("#register-submit").click()
    page.wait_for_url(re.compile(r".*/verification/?$"))
    with Session(live_app.engine) as db:
        user = db.exec(select(User).where(User.email == address)).one()
        assert not user.is_verified
        assert db.exec(select(Consent).where(Consent.user_id == user.id)).one().kind == "privacy_policy"

    # Wrong code: inline error; right code (from the real SMTP server): verified.
    code = mail_code(smtp, address, "code")
    page.locator("#f-code").fill(other_code(code).lower())
    page.locator("#verify-submit").click()
    page.locator("#f-code-error").filter(has_text="Code invalide ou expiré").wait_for()
    page.locator("#f-code").fill(code)
    page.locator("#verify-submit").click()
    # The code proves the address: the visitor is logged in (issue 13 item 6), then logs out to test the login form.
    page.wait_for_url(re.compile(r".*/compte/?\?verified=1$"))
    page.locator("#logout-button").click()
    page.wait_for_url(re.compile(r".*/connexion/?\?bye=1$"))

    # Wrong password: generic message; right password: HttpOnly cookie, never visible to page JavaScript.
    fill_login(page, address, "Wrong!Password1")
    page.locator("#login-form-error").filter(has_text="Adresse e-mail ou mot de passe incorrect").wait_for()
    fill_login(page, address, PASSWORD)
    page.wait_for_url(AFTER_LOGIN)
    cookie = session_cookie(context)
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert "jo_session" not in page.evaluate("document.cookie")
    assert cookie["value"] not in page.content()

    # Enable 2FA with a code from the real oathtool binary.
    goto(page, "/compte")
    page.locator("#profile-email").filter(has_text=address).wait_for()
    page.locator("#email-verified").wait_for()
    page.locator("#totp-start").click()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert page.locator("#totp-qr").get_attribute("src").startswith("data:image/png;base64,")
    screenshot(page, "account-2fa-enrol-desktop")
    page.locator("#f-totp-confirm").fill("000000")
    page.locator("#totp-confirm").click()
    page.locator("#f-totp-confirm-error").filter(has_text="Code d'authentification invalide").wait_for()
    enrol_step = int(time.time() // 30)
    enrol_code = oathtool(secret)
    page.locator("#f-totp-confirm").fill(enrol_code)
    page.locator("#totp-confirm").click()
    codes = page.locator("#recovery-codes li")
    codes.first.wait_for()
    assert codes.count() == 10
    recovery = codes.first.inner_text().strip()
    assert page.locator("#totp-status").inner_text() == "Activée"
    page.locator("#recovery-codes-done").click()
    page.locator("#recovery-codes").wait_for(state="detached")  # shown once only

    # Log out: the session is revoked in the database and the cookie is gone.
    page.locator("#logout-button").click()
    page.wait_for_url(re.compile(r".*/connexion/?\?bye=1$"))
    assert session_cookie(context) is None
    goto(page, "/compte")
    page.locator("#account-login-needed").wait_for()
    assert address not in page.locator("body").inner_text()

    # Log in again: password, then the 2FA step. A reused step is refused; the next step passes.
    fill_login(page, address, PASSWORD)
    page.locator("#totp-code").wait_for()
    page.locator("#totp-code").fill(enrol_code)  # already used (or expired): refused either way
    page.locator("#login-submit").click()
    page.locator("#totp-code-error").filter(has_text="Code d'authentification invalide").wait_for()
    wait_next_totp_step(enrol_step)
    page.locator("#totp-code").fill(oathtool(secret))
    page.locator("#login-submit").click()
    page.wait_for_url(AFTER_LOGIN)
    assert session_cookie(context)["httpOnly"]

    # A recovery code also works in place of the TOTP code, once.
    page.locator("#logout-button").click()
    page.wait_for_url(re.compile(r".*/connexion/?\?bye=1$"))
    fill_login(page, address, PASSWORD)
    page.locator("#totp-code").fill(recovery)
    page.locator("#login-submit").click()
    page.wait_for_url(AFTER_LOGIN)


def test_sign_up_with_a_taken_address_looks_like_any_sign_up(page, make_visitor, live_app, smtp) -> None:
    """No account enumeration: the same screens as a new sign-up; the owner gets a notice (real SMTP), the account
    is untouched and no code works for it."""
    address, password, user_id = make_visitor()
    with Session(live_app.engine) as db:
        before = db.get(User, user_id).model_dump()
    goto(page, "/inscription")
    page.locator("#f-first_name").fill("Mallory")
    page.locator("#f-last_name").fill("Intrus")
    page.locator("#f-email").fill(address.upper())
    page.locator("#f-password").fill("Relay#Marseille7")
    page.locator("#f-consent").check()
    page.locator("#register-submit").click()
    page.wait_for_url(re.compile(r".*/verification/?$"))
    page.locator("#notice").filter(has_text=CATALOGUE["msg.registered"]["fr"]).wait_for()
    assert page.locator("#f-email").input_value() == address

    notice = smtp.wait_for(address, "Tentative d'inscription")
    body = notice.get_body(("plain",)).get_content()
    assert "Bonjour Camille," in body and "/mot-de-passe-oublie" in body
    assert code_in(body) is None and "Mallory" not in body
    page.locator("#f-code").fill("ABCDE-FGHJK")
    page.locator("#verify-submit").click()
    page.locator("#f-code-error").filter(has_text="Code invalide ou expiré").wait_for()
    page.locator("#resend-code").click()
    page.locator("#notice").filter(has_text=CATALOGUE["msg.code_sent"]["fr"]).wait_for()

    with Session(live_app.engine) as db:
        assert db.get(User, user_id).model_dump() == before
        assert len(db.exec(select(User).where(User.email == address)).all()) == 1
    log_in(page, address, password)


def test_login_with_recovery_code_is_single_use(new_context, make_visitor, live_app) -> None:
    address, password, user_id = make_visitor()
    with Session(live_app.engine) as db:
        secret = twofactor.begin_enrollment(db, user_id).secret
        recovery = twofactor.confirm_enrollment(db, user_id, oathtool(secret))[0]
    for attempt in range(2):
        context = new_context()
        page = context.new_page()
        fill_login(page, address, password)
        page.locator("#totp-code").fill(recovery)
        page.locator("#login-submit").click()
        if attempt == 0:
            page.wait_for_url(AFTER_LOGIN)
        else:
            page.locator("#totp-code-error").filter(has_text="Code d'authentification invalide").wait_for()
            assert session_cookie(context) is None


def test_account_page_shows_nothing_private_without_login(page, context) -> None:
    goto(page, "/compte")
    page.locator("#account-login-needed").wait_for()
    assert page.locator("#profile-email").count() == 0
    assert page.locator("#session-list").count() == 0
    assert session_cookie(context) is None
    # A forged cookie is not a session.
    context.add_cookies([{"name": "jo_session", "value": "forged-token", "url": page.url}])
    goto(page, "/compte")
    page.locator("#account-login-needed").wait_for()
    assert page.locator("#profile-email").count() == 0


def test_handoff_code_is_single_use_and_next_is_local(new_context, make_visitor, live_app) -> None:
    """Replaying /auth/complete with a spent code gives no cookie; `next` cannot leave the site."""
    address, password, _ = make_visitor()
    context = new_context()
    page = context.new_page()
    hand_offs: list[str] = []
    page.on("request", lambda r: hand_offs.append(r.url) if "/auth/complete" in r.url else None)
    goto(page, "/connexion?next=//evil.example/x")
    page.locator("#email").fill(address)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    page.wait_for_url(AFTER_LOGIN)  # the unsafe `next` fell back to the default
    assert hand_offs
    other = new_context()
    replay = other.request.get(hand_offs[0], max_redirects=0)
    assert replay.status == 303 and "/connexion" in replay.headers["location"]
    assert "jo_session" not in replay.headers.get("set-cookie", "")
    evil = other.request.get("/auth/complete?code=x&next=https://evil.example/", max_redirects=0)
    assert "evil.example" not in evil.headers["location"]


def test_log_out_everywhere_and_revoke_one_session(new_context, make_visitor) -> None:
    address, password, _ = make_visitor()
    pages = []
    for _ in range(3):
        context = new_context()
        page = context.new_page()
        fill_login(page, address, password)
        page.wait_for_url(AFTER_LOGIN)
        pages.append((context, page))
    (_, first), (_, second), (_, third) = pages
    goto(first, "/compte")
    rows = first.locator(".session-row")
    rows.nth(2).wait_for()
    assert rows.count() == 3
    # Revoke one other session from the list.
    first.locator(".revoke-session").first.click()
    first.wait_for_function("() => document.querySelectorAll('.session-row').length === 2")
    # Then log out everywhere else: only this session stays.
    first.locator("#logout-everywhere").click()
    first.wait_for_function("() => document.querySelectorAll('.session-row').length === 1")
    for other in (second, third):
        goto(other, "/compte")
        other.locator("#account-login-needed").wait_for()
    goto(first, "/compte")
    first.locator("#profile-email").filter(has_text=address).wait_for()


def test_forgotten_password_same_answer_then_reset(page, make_visitor, smtp) -> None:
    address, _, _ = make_visitor()
    goto(page, "/mot-de-passe-oublie")
    page.locator("#f-email").fill(f"nobody-{uuid.uuid4().hex[:6]}@example.org")
    page.locator("#forgot-submit").click()
    unknown_text = page.locator("#notice").inner_text()
    goto(page, "/mot-de-passe-oublie")
    page.locator("#f-email").fill(address)
    page.locator("#forgot-submit").click()
    page.locator("#notice").wait_for()
    assert page.locator("#notice").inner_text() == unknown_text
    code = mail_code(smtp, address, "mot de passe")
    page.locator("#f-code").fill(code)
    page.locator("#f-password").fill("Nouveau!Passe2024")
    page.locator("#reset-submit").click()
    page.wait_for_url(re.compile(r".*/connexion/?\?reset=1$"))
    fill_login(page, address, "Nouveau!Passe2024")
    page.wait_for_url(AFTER_LOGIN)


def _french_only_strings() -> list[str]:
    """Catalogue French strings that differ from their English twin and are long enough to be unambiguous."""
    return sorted({v["fr"] for v in CATALOGUE.values() if v["fr"] != v["en"] and len(v["fr"]) >= 8})


def test_english_pages_have_no_french_left(page, make_visitor, screenshot) -> None:
    address, password, _ = make_visitor()
    french = _french_only_strings()
    goto(page, "/connexion")
    page.locator("#lang-en").click()
    page.wait_for_function("() => document.querySelector('#page-title').textContent.trim() === 'Log in'")
    assert page.locator("#lang-en").get_attribute("aria-pressed") == "true"
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    for path in [*ACCOUNT_PAGES, "/compte"]:
        if path == "/compte":
            log_in(page, address, password)  # the login page itself was checked anonymously above
        goto(page, path)
        page.locator("#page-title").wait_for()
        page.wait_for_timeout(300)
        body = page.locator("body").inner_text()
        left = [s for s in french if s in body or s in page.title()]
        assert not left, f"French strings left on {path}: {left[:5]}"
        assert page.locator("[lang=en]").count() >= 1
        page.wait_for_function("() => document.documentElement.lang === 'en'")
    screenshot(page, "account-en-desktop")
    page.locator("#lang-fr").click()
    page.wait_for_function("() => document.querySelector('#page-title').textContent.trim() === 'Mon compte'")


@pytest.mark.parametrize("width", [1280, 360])
def test_pages_fit_and_screenshots(new_context, make_visitor, screenshot, width: int) -> None:
    address, password, _ = make_visitor()
    context = new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    label = "desktop" if width == 1280 else "phone"
    for path in ACCOUNT_PAGES:
        goto(page, path)
        page.locator("#page-title").wait_for()
        page.wait_for_timeout(300)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} overflows horizontally by {overflow}px at {width}px"
        screenshot(page, f"account-{path.strip('/')}-{label}")
    log_in(page, address, password)
    goto(page, "/compte")
    page.locator("#profile-email").wait_for()
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(page, f"account-compte-{label}")
    menu = page.locator("#mobile-menu-button")
    if width == 360:
        assert page.locator("#nav-account").is_hidden()
        menu.click()
        page.get_by_role("menuitem", name="Mon compte").wait_for()
        screenshot(page, "account-menu-phone", full_page=False)
    else:
        assert menu.is_hidden() and page.locator("#nav-account").is_visible()


# WCAG 2.x contrast of every visible text element against its composited background (1.4.3, AA).
CONTRAST_JS = "\n".join(line for line in Path(__file__).with_name("wcag_contrast.js").read_text().splitlines()
                        if not line.startswith("//"))


def test_text_contrast_is_wcag_aa(page, make_visitor) -> None:
    address, password, _ = make_visitor()
    for path in ACCOUNT_PAGES:
        goto(page, path)
        page.locator("#page-title").wait_for()
        page.wait_for_timeout(300)
        assert page.evaluate(CONTRAST_JS) == [], path
    log_in(page, address, password)
    goto(page, "/compte")
    page.locator("#profile-email").wait_for()
    page.locator("#totp-start").click()
    page.locator("#totp-secret").wait_for()
    assert page.evaluate(CONTRAST_JS) == []


def test_keyboard_skip_link_and_labels(page) -> None:
    goto(page, "/inscription")
    page.locator("#page-title").wait_for()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className").find("jo-skip") >= 0
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.hash === '#main'")
    for field in ("f-first_name", "f-last_name", "f-email", "f-password", "f-consent"):
        assert page.locator(f"label[for={field}]").count() == 1, field


def test_delete_account(page, make_visitor, live_app) -> None:
    address, password, user_id = make_visitor()
    log_in(page, address, password)
    goto(page, "/compte")
    page.locator("#f-del-password").fill("Wrong!Password1")
    page.locator("#delete-submit").click()
    page.locator("#f-del-password-error").filter(has_text="Mot de passe actuel incorrect").wait_for()
    page.locator("#f-del-password").fill(password)
    page.locator("#delete-submit").click()
    page.wait_for_url(re.compile(r".*/connexion/?\?deleted=1$"))
    page.locator("#notice").filter(has_text="Votre compte a été supprimé").wait_for()
    with Session(live_app.engine) as db:
        user = db.get(User, user_id)
        assert user.anonymized_at is not None and user.email != address
    fill_login(page, address, password)
    page.locator("#login-form-error").filter(has_text="Adresse e-mail ou mot de passe incorrect").wait_for()


def _future_ticket(engine, user_id: int) -> int:
    """A paid duo ticket, still valid, for an event in 30 days (made directly in the database)."""
    suffix = secrets.token_hex(4)
    with Session(engine) as db:
        user = db.get(User, user_id)
        event = Event(slug=f"e2e-delete-{suffix}", sport="Athletics", title=f"Final {suffix}", venue="Stade de France",
                      starts_at=utcnow() + timedelta(days=30), capacity=100, seats_sold=2)
        db.add(event)
        db.flush()
        offer = Offer(event_id=event.id, title="Duo", offer_type="duo", persons=2, price_cents=12000)
        db.add(offer)
        db.flush()
        order = Order(user_id=user.id, reference=f"JO-E2E-{suffix}", total_cents=12000, status=OrderStatus.PAID.value,
                      paid_at=utcnow(), purchase_key=secrets.token_hex(32), email=user.email, card_last4="4242")
        db.add(order)
        db.flush()
        db.add(OrderItem(order_id=order.id, offer_id=offer.id, event_id=event.id, offer_type="duo", offer_title="Duo",
                         persons=2, quantity=1, unit_price_cents=12000))
        ticket = Ticket(number=f"T-{suffix}", order_id=order.id, offer_id=offer.id, event_id=event.id,
                        user_id=user.id, persons=2, holder_name="Camille Durand", user_key=user.security_key,
                        purchase_key=order.purchase_key, ticket_key=secrets.token_hex(32), qr_id=secrets.token_hex(8),
                        qr_payload="E2E-" + suffix, status=TicketStatus.VALID.value)
        db.add(ticket)
        db.commit()
        return ticket.id


def test_delete_refused_with_future_tickets_then_explicit_cancel_and_delete(page, make_visitor,
                                                                            live_app) -> None:
    address, password, user_id = make_visitor()
    ticket_id = _future_ticket(live_app.engine, user_id)
    log_in(page, address, password)
    goto(page, "/compte")
    page.locator("#f-del-password").fill(password)
    page.locator("#delete-submit").click()
    refusal = page.locator("#delete-refused")
    refusal.filter(has_text="billets valides pour des épreuves à venir").wait_for()
    with Session(live_app.engine) as db:
        assert db.get(User, user_id).anonymized_at is None
        assert db.get(Ticket, ticket_id).status == TicketStatus.VALID.value
    page.locator("#delete-force").filter(has_text="Annuler mes billets et supprimer mon compte").click()
    page.wait_for_url(re.compile(r".*/connexion/?\?deleted=1$"))
    page.locator("#notice").filter(has_text="Votre compte a été supprimé").wait_for()
    with Session(live_app.engine) as db:
        assert db.get(User, user_id).anonymized_at is not None
        assert db.get(Ticket, ticket_id).status == TicketStatus.CANCELLED.value


def test_mobile_menu_works_with_the_keyboard(new_context) -> None:
    page = new_context(viewport={"width": 360, "height": 800}).new_page()
    goto(page, "/cgv")
    page.locator("#page-title").wait_for()
    page.locator("#mobile-menu-button").focus()
    page.keyboard.press("Enter")
    login_item = page.get_by_role("menuitem", name="Connexion")
    login_item.wait_for()
    # Radix moves the focus in a timeout after each key: wait for it to land, as a person sees the highlight move.
    page.wait_for_function("document.activeElement?.getAttribute('role') === 'menuitem'")
    for _ in range(8):
        focused = page.evaluate("document.activeElement.textContent")
        if focused == "Connexion":
            break
        page.keyboard.press("ArrowDown")
        page.wait_for_function("before => document.activeElement.textContent !== before", arg=focused)
    expect(login_item).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/connexion/?$"))


def test_regenerate_recovery_codes_kills_the_old_ones(new_context, make_visitor, live_app) -> None:
    address, password, user_id = make_visitor()
    with Session(live_app.engine) as db:
        secret = twofactor.begin_enrollment(db, user_id).secret
        old_codes = twofactor.confirm_enrollment(db, user_id, oathtool(secret))
    wait_next_totp_step(int(time.time() // 30))  # the enrolment used the current step
    page = new_context().new_page()
    fill_login(page, address, password)
    page.locator("#totp-code").fill(old_codes[0])  # a recovery code: leaves the TOTP steps unused
    page.locator("#login-submit").click()
    page.wait_for_url(AFTER_LOGIN)
    goto(page, "/compte")
    page.locator("#codes-left").filter(has_text="9").wait_for()
    page.locator("#f-regen-code").fill(oathtool(secret))
    page.locator("#codes-regenerate").click()
    new_codes = page.locator("#recovery-codes li")
    new_codes.first.wait_for()
    assert new_codes.count() == 10 and old_codes[1] not in new_codes.all_inner_texts()
    page.locator("#codes-left").filter(has_text="10").wait_for()
    other = new_context().new_page()
    fill_login(other, address, password)
    other.locator("#totp-code").fill(old_codes[1])
    other.locator("#login-submit").click()
    other.locator("#totp-code-error").filter(has_text="Code d'authentification invalide").wait_for()
