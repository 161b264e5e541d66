"""Helpers shared by the click-through browser tests (not a test module)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session

from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.timeutil import utcnow

DESKTOP = {"width": 1366, "height": 850}
PHONE = {"width": 390, "height": 844}
PASSWORD = "Piste!Bleue2024"


def make_event(live_app, *, title: str, capacity: int = 40, days: int = 30) -> tuple[int, dict[str, int]]:
    """A fresh published event with its three packs: (event id, type -> offer id)."""
    with Session(live_app.engine) as db:
        event_id = catalog_admin.create_event(db, None, EventInput(
            title=title, sport="Athlétisme", venue="Stade de France", city="Saint-Denis",
            starts_at=(utcnow() + timedelta(days=days)).replace(microsecond=0), capacity=capacity,
            description="Session de test.", image="/sports/athletisme.svg", is_published=True))
        offers = {kind: catalog_admin.create_offer(db, None, OfferInput(
            event_id=event_id, title=kind.capitalize(), offer_type=kind, price_cents=price))
            for kind, price in (("solo", 5000), ("duo", 9500), ("family", 18000))}
    return event_id, offers


def buy(live_app, user_id: int, offer_id: int, packs: int = 1, key: str = "e2e"):
    """A paid order made through the services (setup for pages that show orders)."""
    from jo_app.services.orders import cart, checkout
    from jo_app.services.payment import PaymentCard

    with Session(live_app.engine) as db:
        cart.add_item(db, user_id, offer_id, packs)
        return checkout.checkout(db, user_id, PaymentCard("4242424242424242", 12, utcnow().year + 2, "123", "Ada"),
                                 idempotency_key=key)


def hydrated(page) -> None:
    page.locator("#page-shell[data-hydrated=true]").wait_for()


def open_home(page, lang: str = "fr") -> None:
    """The visitor's entry point: the home page, then the language button they would press."""
    page.goto("/")
    hydrated(page)
    if lang != "fr":
        page.locator(f"#lang-{lang}").click()
        page.locator(f"#page-shell[lang={lang}]").wait_for()


def find_event_in_catalogue(page, title: str, *, phone: bool = False) -> None:
    """Catalogue through the menu, text search for `title`, then click its card."""
    if phone:
        page.locator("#mobile-menu-button").click()
        page.get_by_role("menuitem", name=re.compile("Billetterie|Tickets", re.I)).first.click()
    else:
        page.locator("header a[href='/billetterie']").first.click()
    page.wait_for_url(re.compile(r".*/billetterie/?(\?.*)?$"))
    hydrated(page)
    page.locator("#filter-text").fill(title)
    page.locator("#filter-search").click()
    card = page.locator("[data-testid=event-card]").filter(has_text=title)
    card.first.wait_for()
    card.first.locator("a").first.click()
    page.wait_for_url(re.compile(r".*/billetterie/\d+/?$"))
    hydrated(page)


def mail_code(smtp, to: str, subject: str = "code") -> str:
    from tests.mail_codes import code_in

    message = smtp.wait_for(to, subject)
    code = code_in(message.get_body(("plain",)).get_content())
    assert code, "no code in the mail"
    return code


def login_via_menu(page, email: str, password: str, *, phone: bool = False) -> None:
    """"Connexion" from the navbar (the phone menu on a phone), then the form."""
    if phone:
        page.locator("#mobile-menu-button").click()
        page.get_by_role("menuitem", name=re.compile(r"^(Connexion|Log in)$", re.I)).click()
    else:
        page.locator("#nav-login").click()
    page.wait_for_url(re.compile(r".*/connexion/?$"))
    hydrated(page)
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    page.wait_for_function("() => !location.pathname.startsWith('/connexion') "
                           "&& !location.pathname.startsWith('/auth')")
    hydrated(page)
