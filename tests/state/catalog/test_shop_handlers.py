"""Shop handlers and ticket file routes, called the way a hostile client could (any handler, any arguments, any URL):
identity comes only from the session cookie, and each user reaches only their own cart, orders and tickets.
Also: the card form checks and the catalogue messages for every service error code."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from jo_app.api.app import api
from jo_app.i18n import CATALOGUE
from jo_app.services import payment
from jo_app.services.accounts import sessions, users
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.services.orders import cart as cart_service
from jo_app.services.orders import cart_view, checkout
from jo_app.services.orders.cart_view import PROBLEM_MESSAGES
from jo_app.state.catalog.shop import EventPageState
from jo_app.state.orders import checkout as checkout_state
from jo_app.state.orders.cart import CartState
from jo_app.state.orders.history import OrdersState
from jo_app.timeutil import utcnow
from tests.state.conftest import make_state

GOOD = {"holder": "Camille Durand", "card_number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}


def _user(engine, email: str) -> tuple[int, str]:
    with Session(engine) as db:
        user = users.create_user(db, email=email, password="Piste!Verte2024", first_name="A", last_name="B",
                                 verified=True)
        db.commit()
        return user.id, sessions.create_session(db, user.id)


def _offers(engine) -> tuple[int, dict[str, int]]:
    with Session(engine) as db:
        event_id = catalog_admin.create_event(db, None, EventInput(
            title="Finale", sport="Judo", venue="Arena", capacity=40,
            starts_at=(utcnow() + timedelta(days=10)).replace(microsecond=0)))
        offers = {kind: catalog_admin.create_offer(db, None, OfferInput(event_id=event_id, title=kind, offer_type=kind,
                                                                        price_cents=1000)) for kind in ("solo", "duo")}
    return event_id, offers


def _buy(engine, user_id: int, offer_id: int, quantity: int = 1) -> checkout.CheckoutResult:
    with Session(engine) as db:
        cart_service.add_item(db, user_id, offer_id, quantity)
        return checkout.checkout(db, user_id, payment.PaymentCard("4242424242424242", 12, 2034, "123"),
                                 idempotency_key=f"k-{user_id}-{offer_id}")


_state = make_state


def _run(cls, name: str, state, *args):
    result = cls.event_handlers[name].fn(state, *args)
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


def _cart(engine, user_id: int) -> dict[int, int]:
    with Session(engine) as db:
        return {line.offer_id: line.quantity for line in cart_view.get_cart(db, user_id).lines}


# ------------------------------------------------------------------ cart

@pytest.mark.parametrize("cookie", ["", "jo_session=forged-token"])
def test_cart_handlers_without_a_session_change_nothing(db_engine, cookie: str) -> None:
    victim, _token = _user(db_engine, "victim@example.org")
    _event, offers = _offers(db_engine)
    with Session(db_engine) as db:
        cart_service.add_item(db, victim, offers["solo"], 2)
    state = _state(CartState, cookie, "/panier")
    for name, args in (("add", (offers["duo"], 3)), ("set_quantity", (offers["solo"], 5)),
                       ("remove", (offers["solo"],)), ("load", ()), ("load_count", ())):
        _run(CartState, name, state, *args)
    assert state.lines == [] and state.count == 0
    assert _cart(db_engine, victim) == {offers["solo"]: 2}


def test_cart_hold_countdown_expiry_and_hold_again(db_engine) -> None:
    from sqlalchemy import update

    from jo_app.models import Event, SeatHold

    _owner, token = _user(db_engine, "holder@example.org")
    other, _ = _user(db_engine, "other-holder@example.org")
    event_id, offers = _offers(db_engine)
    state = _state(CartState, f"jo_session={token}", "/panier")
    _run(CartState, "add", state, offers["duo"], 2)
    assert state.hold_expires_at.endswith("Z") and not state.has_expired_hold
    assert state.lines[0]["hold_until"] == state.hold_expires_at and not state.lines[0]["hold_expired"]
    with Session(db_engine) as db:
        assert db.get(Event, event_id).seats_held == 4
        db.exec(update(SeatHold).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    _run(CartState, "load", state)
    assert state.hold_expires_at == "" and state.has_expired_hold and state.lines[0]["hold_expired"]
    _run(CartState, "rehold", state, offers["duo"])
    assert state.hold_expires_at and not state.has_expired_hold and state.error_code == ""
    # Another user's line cannot be held through this client: only the cookie user's cart is looked at.
    with Session(db_engine) as db:
        cart_service.add_item(db, other, offers["solo"], 1)
    _run(CartState, "rehold", state, offers["solo"])
    assert state.error_code == "err.offer_not_found"
    with Session(db_engine) as db:
        assert db.get(Event, event_id).seats_held == 5


def test_cart_handlers_act_on_the_cookie_users_cart_only(db_engine) -> None:
    owner, token = _user(db_engine, "owner@example.org")
    other, _ = _user(db_engine, "other@example.org")
    _event, offers = _offers(db_engine)
    with Session(db_engine) as db:
        cart_service.add_item(db, other, offers["solo"], 1)
    state = _state(CartState, f"jo_session={token}", "/panier")
    _run(CartState, "add", state, offers["duo"], 2)
    _run(CartState, "set_quantity", state, offers["solo"], "3")  # also added to the owner's own cart
    _run(CartState, "remove", state, offers["duo"])
    assert _cart(db_engine, owner) == {offers["solo"]: 3}
    assert _cart(db_engine, other) == {offers["solo"]: 1}
    assert state.count == 3 and len(state.lines) == 1
    # Refused changes come back as a catalogue key shown next to the pack, never an exception.
    _run(CartState, "set_quantity", state, offers["solo"], 99)
    assert state.error_code == "err.invalid_quantity"
    _run(CartState, "add", state, "not-a-number", 1)
    assert state.error_code == "err.invalid_quantity"
    assert _cart(db_engine, owner) == {offers["solo"]: 3}


def test_session_page_adds_the_quantity_chosen_on_the_server(db_engine) -> None:
    owner, token = _user(db_engine, "owner@example.org")
    event_id, offers = _offers(db_engine)
    page = _state(EventPageState, f"jo_session={token}", f"/billetterie/{event_id}")
    _run(EventPageState, "load", page)
    assert page.info["id"] == event_id and not page.not_found
    _run(EventPageState, "set_quantity", page, str(offers["duo"]), "4")
    _run(EventPageState, "set_quantity", page, str(offers["solo"]), "500")  # clamped to the purchase limit
    _run(EventPageState, "set_quantity", page, "999999", "2")  # not a pack of this page: ignored
    assert page.quantities == {str(offers["solo"]): 6, str(offers["duo"]): 4}
    _run(EventPageState, "add_to_cart", page, str(offers["duo"]))
    _run(EventPageState, "add_to_cart", page, "999999")
    assert _cart(db_engine, owner) == {offers["duo"]: 4}


# ------------------------------------------------------------------ orders and tickets

def test_orders_pages_show_only_the_cookie_users_orders(db_engine) -> None:
    owner, owner_token = _user(db_engine, "owner@example.org")
    intruder, intruder_token = _user(db_engine, "intruder@example.org")
    _event, offers = _offers(db_engine)
    reference = _buy(db_engine, owner, offers["duo"], 2).reference

    mine = _state(OrdersState, f"jo_session={owner_token}", f"/commandes/{reference}")
    _run(OrdersState, "load_order", mine)
    assert mine.order["reference"] == reference and len(mine.order["tickets"]) == 2
    assert mine.order["tickets"][0]["pdf_url"].endswith("/ticket.pdf")

    for cookie in (f"jo_session={intruder_token}", "", "jo_session=forged"):
        theirs = _state(OrdersState, cookie, f"/commandes/{reference}")
        _run(OrdersState, "load_order", theirs)
        assert theirs.order == {} and reference not in str(theirs.order_list)
        _run(OrdersState, "load_orders", theirs)
        _run(OrdersState, "load_tickets", theirs)
        assert theirs.order_list == [] and theirs.tickets == []
    del intruder


def test_ticket_files_only_for_their_owner(db_engine) -> None:
    owner, owner_token = _user(db_engine, "owner@example.org")
    _intruder, intruder_token = _user(db_engine, "intruder@example.org")
    _event, offers = _offers(db_engine)
    ticket_id = _buy(db_engine, owner, offers["solo"]).ticket_ids[0]
    client = TestClient(api)
    as_owner = TestClient(api, cookies={"jo_session": owner_token})
    as_intruder = TestClient(api, cookies={"jo_session": intruder_token})
    as_forger = TestClient(api, cookies={"jo_session": "forged"})
    urls = [f"/billets/{ticket_id}/ticket.pdf", f"/billets/{ticket_id}/qr.png", f"/billets/{ticket_id}/event.ics"]
    types = ["application/pdf", "image/png", "text/calendar; charset=utf-8"]
    for url, kind in zip(urls, types, strict=True):
        response = as_owner.get(url)
        assert response.status_code == 200 and response.headers["content-type"] == kind
        assert response.headers["cache-control"] == "private, no-store"
        assert as_intruder.get(url).status_code == 404
        assert as_forger.get(url).status_code == 401
        assert client.get(url).status_code == 401
        browser = client.get(url, headers={"accept": "text/html"}, follow_redirects=False)
        assert browser.status_code == 303 and browser.headers["location"] == f"/connexion?next={url}"
    for bad in ("999999", "0", "99999999999"):
        assert as_owner.get(f"/billets/{bad}/qr.png").status_code == 404


# ------------------------------------------------------------------ card form and messages

@pytest.mark.parametrize(("changes", "errors"), [
    ({}, {}),
    ({"card_number": "4242 4242 4242 4241"}, {"card_number": "err.invalid_card_number"}),
    ({"expiry": "13/30"}, {"expiry": "err.invalid_expiry"}),
    ({"expiry": "01/20"}, {"expiry": "err.card_expired"}),
    ({"expiry": "1230"}, {}),  # the bare digits a phone keypad gives are read as 12/30 (issue 13 item 8)
    ({"expiry": "123"}, {"expiry": "err.invalid_expiry"}),
    ({"expiry": "1330"}, {"expiry": "err.invalid_expiry"}),
    ({"cvc": "12"}, {"cvc": "err.invalid_cvc"}),
    ({"holder": "  "}, {"holder": "err.holder_required"}),
    ({"card_number": "1", "expiry": "", "cvc": "x", "holder": ""},
     {"card_number": "err.invalid_card_number", "expiry": "err.invalid_expiry",
      "cvc": "err.invalid_cvc", "holder": "err.holder_required"}),
])
def test_card_form_checks_every_field(changes: dict, errors: dict) -> None:
    card, found = checkout_state.parse_card({**GOOD, **changes})
    assert found == errors
    assert (card is None) == bool(errors)


def test_every_service_error_code_has_a_message_in_both_languages() -> None:
    codes = set(PROBLEM_MESSAGES) | {card["outcome"] for card in payment.TEST_CARDS if card["outcome"] != "succeeded"}
    codes |= {"invalid_quantity", "offer_not_found", "empty_cart", "invalid_card_number", "invalid_expiry",
              "card_expired", "invalid_cvc", "invalid_idempotency_key", "conflict", "holder_required"}
    for code in codes:
        entry = CATALOGUE[f"err.{code}"]
        assert entry["fr"] and entry["en"] and entry["fr"] != entry["en"]
    assert checkout_state.error_key("no_such_code") == "err.generic"
    shop_keys = [k for k in CATALOGUE if k.split(".")[0] in ("shop", "cart", "checkout", "orders", "tickets")]
    assert all(CATALOGUE[k]["fr"] and CATALOGUE[k]["en"] for k in shop_keys)
