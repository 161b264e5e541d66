"""Issue 13 items 6 and 7, clicked as a person would at 1366x850.

6. Sign-up keeps the visitor's intent: "Ajouter au panier" clicked while logged out -> login page -> "Créer un
   compte" -> e-mail code -> logged in, back on the session page, the packs in the cart. Same through a plain login
   (in English).
7. Staff land where they work: an employee on /controle, an admin on /admin; an explicit `next` still wins.
"""

from __future__ import annotations

import re
import uuid

from sqlmodel import Session, select

from jo_app.models import Cart, CartItem, Role, User
from tests.e2e.clicks_helpers import (
    DESKTOP,
    PASSWORD,
    find_event_in_catalogue,
    hydrated,
    mail_code,
    make_event,
    open_home,
)


def cart_lines(live_app, user_id: int) -> dict[int, int]:
    with Session(live_app.engine) as db:
        rows = db.exec(select(CartItem.offer_id, CartItem.quantity).join(Cart, Cart.id == CartItem.cart_id)
                       .where(Cart.user_id == user_id)).all()
    return {offer: quantity for offer, quantity in rows}


def test_signup_from_add_to_cart_logs_in_and_comes_back_with_the_packs(new_context, live_app, smtp, screenshot):
    title = f"Demi-finale intention {uuid.uuid4().hex[:6]}"
    event_id, offers = make_event(live_app, title=title)
    page = new_context(viewport=DESKTOP).new_page()
    open_home(page)
    find_event_in_catalogue(page, title)

    # Logged out: choose 2 duo packs and click "Ajouter au panier": the login page, which offers to sign up.
    page.select_option(f"#qty-{offers['duo']}", "2")
    page.locator(f"#add-{offers['duo']}").click()
    page.wait_for_url(re.compile(r".*/connexion\?next=/billetterie/\d+$"))
    hydrated(page)
    page.locator(f"#register-link[href='/inscription?next=/billetterie/{event_id}']").click()
    page.wait_for_url(re.compile(rf".*/inscription\?next=/billetterie/{event_id}$"))
    hydrated(page)

    address = f"intent-{uuid.uuid4().hex[:8]}@example.org"
    page.locator("#f-first_name").fill("Inès")
    page.locator("#f-last_name").fill("Moreau")
    page.locator("#f-email").fill(address)
    page.locator("#f-password").fill(PASSWORD)
    page.locator("#f-consent").check()
    page.locator("#register-submit").click()
    page.wait_for_url(re.compile(r".*/verification.*"))
    hydrated(page)
    # The address just typed is still there (it is the one the code goes to).
    assert page.locator("#f-email").input_value() == address
    page.locator("#f-code").fill(mail_code(smtp, address))
    page.locator("#verify-submit").click()

    # Logged in by the code, back on the session page, the 2 duo packs in the cart.
    page.wait_for_url(re.compile(rf".*/billetterie/{event_id}/?$"))
    hydrated(page)
    page.locator(f"#added-{offers['duo']}").wait_for()
    page.locator("#logout-button").wait_for()
    page.locator("header [data-testid=cart-count]").filter(has_text="2").first.wait_for()
    cookie = next(c for c in page.context.cookies() if c["name"] == "jo_session")
    assert cookie["httpOnly"] and "jo_session" not in page.evaluate("document.cookie")
    with Session(live_app.engine) as db:
        user = db.exec(select(User).where(User.email == address)).one()
        assert user.is_verified
    assert cart_lines(live_app, user.id) == {offers["duo"]: 2}
    # The wish is spent: coming back to the page does not add the packs again.
    assert page.evaluate("localStorage.getItem('jo_pending_add')") in (None, "")
    screenshot(page, "signup-intent-back-on-session")


def test_login_in_english_keeps_the_pending_add(new_context, live_app, make_visitor):
    email, password, user_id = make_visitor()
    title = f"Quarter-final intent {uuid.uuid4().hex[:6]}"
    event_id, offers = make_event(live_app, title=title)
    page = new_context(viewport=DESKTOP).new_page()
    open_home(page, "en")
    find_event_in_catalogue(page, title)
    page.locator(f"#add-{offers['solo']}").filter(has_text="Add to cart").click()
    page.wait_for_url(re.compile(r".*/connexion\?next=.*"))
    hydrated(page)
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    page.wait_for_url(re.compile(rf".*/billetterie/{event_id}/?$"))
    page.locator(f"#added-{offers['solo']}").filter(has_text="Added").wait_for()
    assert cart_lines(live_app, user_id) == {offers["solo"]: 1}


def _login_from_navbar(page, email: str, password: str) -> None:
    page.locator("#nav-login").click()
    page.wait_for_url(re.compile(r".*/connexion/?$"))
    hydrated(page)
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()


def test_staff_land_on_their_work_page_and_next_still_wins(new_context, live_app, make_visitor):
    employee_email, password, _ = make_visitor(role=Role.EMPLOYEE)
    admin_email, _pw, _ = make_visitor(role=Role.ADMIN)
    visitor_email, _pw2, _ = make_visitor()

    for address, landing in ((employee_email, r"/controle"), (admin_email, r"/admin"), (visitor_email, r"/billets")):
        page = new_context(viewport=DESKTOP).new_page()
        open_home(page)
        _login_from_navbar(page, address, password)
        page.wait_for_url(re.compile(rf".*{landing}/?$"))
        hydrated(page)
        page.context.close()

    # An explicit destination wins over the role's landing page: the admin clicks "Panier" while logged out.
    page = new_context(viewport=DESKTOP).new_page()
    open_home(page)
    page.locator("header a[href='/panier']").first.click()
    page.wait_for_url(re.compile(r".*/connexion\?next=/panier$"))
    hydrated(page)
    page.locator("#email").fill(admin_email)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    page.wait_for_url(re.compile(r".*/panier/?$"))
