"""Waiting-room page handlers, called as a client could: identity from the session cookie only; the pass stays on
the server and is what lets the cart add packs of a queued session."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from jo_app.services.orders import onsales, waiting_room
from jo_app.services.orders.onsales import OnSaleInput
from jo_app.state.orders.cart import CartState
from jo_app.state.orders.queue import QueueState
from jo_app.timeutil import utcnow
from tests.state.catalog.test_shop_handlers import _offers, _run, _state, _user


def test_join_wait_admission_and_pass_used_by_the_cart(db_engine) -> None:
    _owner, token = _user(db_engine, "queue-owner@example.org")
    event_id, offers = _offers(db_engine)
    with Session(db_engine) as db:
        onsale_id = onsales.create_onsale(db, None, OnSaleInput(
            name="Finale", opens_at=utcnow() - timedelta(seconds=1), rate_per_minute=1, event_ids=(event_id,)))
        waiting_room.tick(db, onsale_id)  # opened by the app's periodic tick
    cookie = f"jo_session={token}"
    page = _state(QueueState, cookie, f"/file-attente/{onsale_id}")
    _run(QueueState, "load", page)
    assert page.state == "not_joined" and page.onsale_id == onsale_id
    _run(QueueState, "join", page)
    assert page.state in ("waiting", "admitted") and page.position == 1 and page.event_id == event_id
    shop = _state(CartState, cookie, "/billetterie")
    shop.parent_state.substates[QueueState.get_name()] = page  # one client: its states share the root
    with Session(db_engine) as db:  # a minute later at 1 per minute: the first place is let in
        waiting_room.tick(db, onsale_id, now=utcnow() + timedelta(minutes=1, seconds=1))
    _run(QueueState, "refresh", page)
    assert page.state == "admitted" and page.pass_until.endswith("Z")
    assert "pass" not in {name for name in QueueState.base_vars if not name.startswith("_")}  # never sent out
    _run(CartState, "add", shop, offers["solo"], 1)
    assert shop.error_code == "" and shop.count == 1


def test_cart_refuses_a_queued_session_without_a_pass(db_engine) -> None:
    _owner, token = _user(db_engine, "no-pass@example.org")
    event_id, offers = _offers(db_engine)
    with Session(db_engine) as db:
        onsales.create_onsale(db, None, OnSaleInput(
            name="Finale", opens_at=utcnow(), rate_per_minute=10, event_ids=(event_id,)))
    shop = _state(CartState, f"jo_session={token}", "/billetterie")
    _run(CartState, "add", shop, offers["solo"], 1)
    assert shop.error_code == "err.queue_pass_required" and shop.count == 0


def test_a_queued_session_page_sends_visitors_to_the_waiting_room(db_engine, monkeypatch) -> None:
    from jo_app.state.catalog.shop import EventPageState

    _owner, token = _user(db_engine, "queue-page@example.org")
    event_id, _unused = _offers(db_engine)
    cookie = f"jo_session={token}"
    free = _state(EventPageState, cookie, f"/billetterie/{event_id}")
    assert _run(EventPageState, "load", free) is None and free.info["id"] == event_id  # not queued yet
    with Session(db_engine) as db:
        onsale_id = onsales.create_onsale(db, None, OnSaleInput(
            name="Finale", opens_at=utcnow() - timedelta(seconds=1), rate_per_minute=60, event_ids=(event_id,)))
        waiting_room.tick(db, onsale_id)  # opened by the app's periodic tick
    for who in ("", cookie):  # anonymous or signed in without a pass
        page = _state(EventPageState, who, f"/billetterie/{event_id}")
        redirect = _run(EventPageState, "load", page)
        assert f"/file-attente/{onsale_id}" in str(redirect)
    page = _state(EventPageState, cookie, f"/billetterie/{event_id}")
    queue_page = _state(QueueState, cookie, f"/file-attente/{onsale_id}")
    page.parent_state.substates[QueueState.get_name()] = queue_page
    _run(QueueState, "load", queue_page)
    _run(QueueState, "join", queue_page)
    with Session(db_engine) as db:
        waiting_room.tick(db, onsale_id, now=utcnow() + timedelta(seconds=2))
    _run(QueueState, "refresh", queue_page)
    assert queue_page.state == "admitted"
    assert _run(EventPageState, "load", page) is None  # with the pass: the session page itself
