"""Live waiting room: the broadcast numbers, the periodic tick, `admit` (only when the database says so), the
admin screen's handlers (administrators only), and the cart / hold / checkout handlers refusing a queued session
without a pass. Handlers are called as any websocket client could (identity from the session cookie only)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from jo_app.db import session_scope
from jo_app.live.hub import Hub
from jo_app.models import Event, OnSale, Role
from jo_app.services import payment
from jo_app.services.accounts import sessions, users
from jo_app.services.errors import PermissionDeniedError
from jo_app.services.orders import cart as cart_service
from jo_app.services.orders import cart_view, waiting_room
from jo_app.services.orders.onsales import OnSaleInput, create_onsale
from jo_app.state.orders import checkout, queue_live
from jo_app.state.orders.admin_onsales import AdminOnsalesState
from jo_app.state.orders.cart import CartState
from jo_app.state.orders.queue import QueueState
from jo_app.state.orders.queue_live import QueueLiveState
from jo_app.timeutil import utcnow
from tests.state.catalog.test_shop_handlers import _offers, _run, _state, _user

CARD = payment.PaymentCard("4242424242424242", 12, utcnow().year + 2, "123", "Ada")


@pytest.fixture
def db_engine(db_engine):
    queue_live._seen.clear()
    return db_engine


def _onsale(engine, event_id: int, rate: int = 1, opens_in: float = -1) -> int:
    """A queued on-sale, opened by a first tick (what each app worker's periodic tick does) when due."""
    with Session(engine) as db:
        onsale_id = create_onsale(db, None, OnSaleInput(name="Finale", opens_at=utcnow() + timedelta(seconds=opens_in),
                                                        rate_per_minute=rate, event_ids=(event_id,)))
        waiting_room.tick(db, onsale_id)
        return onsale_id


def test_admit_gives_a_pass_only_when_the_database_lets_the_place_in(db_engine) -> None:
    event_id, _unused = _offers(db_engine)
    onsale_id = _onsale(db_engine, event_id, rate=1)
    first, _t = _user(db_engine, "first@example.org")
    with Session(db_engine) as db:
        waiting_room.join(db, first, onsale_id)  # place 1
    _uid, token = _user(db_engine, "second@example.org")
    page = _state(QueueState, f"jo_session={token}", f"/file-attente/{onsale_id}")
    _run(QueueState, "load", page)
    _run(QueueState, "join", page)
    assert page.state == "waiting" and page.position == 2
    assert _run(QueueState, "admit", page) is None  # forged or early: still waiting, no pass
    assert page.state == "waiting" and page._pass_list() == []
    with Session(db_engine) as db:  # two minutes at 1 per minute: places 1 and 2 let in
        waiting_room.tick(db, onsale_id, now=utcnow() + timedelta(minutes=2, seconds=1))
    redirect = _run(QueueState, "admit", page)
    assert page.state == "admitted" and len(page._pass_list()) == 1
    assert f"/billetterie/{event_id}" in str(redirect)  # straight to the shop
    second_tab = _state(QueueState, f"jo_session={token}", f"/file-attente/{onsale_id}")
    _run(QueueState, "load", second_tab)  # another tab of the same account: the same place, admitted too
    assert second_tab.state == "admitted" and second_tab.position == 2


def test_the_tick_reports_only_boards_that_moved_and_the_topic_carries_them(db_engine) -> None:
    event_id, _unused = _offers(db_engine)
    onsale_id = _onsale(db_engine, event_id, rate=60)
    uid, _t = _user(db_engine, "q@example.org")
    with Session(db_engine) as db:
        waiting_room.join(db, uid, onsale_id)
    assert [b.onsale_id for b in queue_live.tick_once()] == [onsale_id]  # first sight of the board
    assert queue_live.tick_once() == []  # nothing moved: no broadcast
    with Session(db_engine) as db:  # a second later at 60 per minute: one more place let in
        db.exec(select(OnSale).where(OnSale.id == onsale_id)).one()
        db.rollback()
        waiting_room.tick(db, onsale_id, now=utcnow() + timedelta(seconds=5))
    assert [b.onsale_id for b in queue_live.tick_once()] == [onsale_id]
    update = queue_live._board_update(queue_live.topic(onsale_id))
    values = update.delta[QueueLiveState.get_full_name()]
    assert values["live_onsale_id_rx_state_"] == onsale_id and values["admitted_through_rx_state_"] >= 1
    assert values["rate_rx_state_"] == 60 and values["opened_rx_state_"] is True
    assert queue_live._board_update("queue:999999") is None and queue_live._board_update("queue:x") is None


class _Manager:
    def __init__(self, room: str, sids: list[str]) -> None:
        self.rooms = {"/_event": {room: dict.fromkeys(sids)}}


class _Sio:
    def __init__(self, room: str, sids: list[str]) -> None:
        self.manager, self.emits = _Manager(room, sids), []

    async def emit(self, event, data, to=None, namespace=None) -> None:
        self.emits.append(to)


class _App:
    def __init__(self, sio: _Sio) -> None:
        self.sio = sio


def test_moving_the_queue_is_one_emit_to_the_room_whatever_the_number_of_pages(db_engine) -> None:
    event_id, _unused = _offers(db_engine)
    onsale_id = _onsale(db_engine, event_id, rate=60)
    topic = queue_live.topic(onsale_id)
    hub = Hub()
    hub.register(queue_live.PREFIX, queue_live.hub._specs[queue_live.PREFIX])
    sio = _Sio(hub.room(topic), [f"sid{i}" for i in range(5000)])
    hub.bind(_App(sio))

    async def go() -> None:
        hub.attach_loop()
        for _ in range(3):  # a burst of ticks coalesces
            hub.notify(topic, relay=False)
        await asyncio.sleep(0)
        await hub.idle()

    asyncio.run(go())
    assert sio.emits == [hub.room(topic)]  # one message for 5,000 waiting pages


def _admin_state(engine, role: Role | None) -> AdminOnsalesState:
    cookie = ""
    if role is not None:
        with Session(engine) as db:
            email = f"{role.value}-{secrets.token_hex(4)}@example.org"
            user = users.create_user(db, email=email, password="Piste!Verte2024", first_name="A", last_name="B",
                                     role=role, verified=True)
            db.commit()
            cookie = f"jo_session={sessions.create_session(db, user.id)}"
    return _state(AdminOnsalesState, cookie, "/admin/file-attente")


def test_only_an_admin_creates_and_steers_an_onsale(db_engine) -> None:
    event_id, _unused = _offers(db_engine)
    opens = (utcnow() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    form = {"name": "Finale", "opens_at": opens, "rate": "120", "pass_minutes": "15", f"event_{event_id}": "on"}
    for role in (None, Role.VISITOR, Role.EMPLOYEE):
        state = _admin_state(db_engine, role)
        _run(AdminOnsalesState, "load", state)
        _run(AdminOnsalesState, "create", state, form)
        assert state.access == "denied" and state.onsales == [] and state.events == []
    with Session(db_engine) as db:
        assert db.exec(select(OnSale)).first() is None
    admin = _admin_state(db_engine, Role.ADMIN)
    _run(AdminOnsalesState, "load", admin)
    assert [e["id"] for e in admin.events] == [event_id]
    _run(AdminOnsalesState, "create", admin, {**form, "rate": "0"})
    assert admin.error == "err.invalid_rate"
    _run(AdminOnsalesState, "create", admin, {k: v for k, v in form.items() if not k.startswith("event_")})
    assert admin.error == "err.onsale_no_events"
    _run(AdminOnsalesState, "create", admin, form)
    assert admin.message == "msg.admin.onsale_created"
    [row] = admin.onsales
    onsale_id = row["id"]
    assert row["status"] == "scheduled" and row["rate"] == 120 and row["waiting"] == 0
    with Session(db_engine) as db:
        assert db.get(Event, event_id).onsale_id == onsale_id

    intruder = _admin_state(db_engine, Role.EMPLOYEE)
    _run(AdminOnsalesState, "pause", intruder, onsale_id)
    _run(AdminOnsalesState, "set_rate", intruder, {"onsale_id": str(onsale_id), "rate": "1"})
    _run(AdminOnsalesState, "close", intruder, onsale_id)
    with Session(db_engine) as db:
        onsale = db.get(OnSale, onsale_id)
        assert (onsale.paused, onsale.rate_per_minute, onsale.closed) == (False, 120, False)

    _run(AdminOnsalesState, "pause", admin, onsale_id)
    assert admin.message == "msg.admin.onsale_paused" and admin.onsales[0]["status"] == "scheduled"
    _run(AdminOnsalesState, "set_rate", admin, {"onsale_id": str(onsale_id), "rate": "30"})
    assert admin.onsales[0]["rate"] == 30
    _run(AdminOnsalesState, "resume", admin, onsale_id)
    _run(AdminOnsalesState, "pause", admin, "not-an-id")
    assert admin.error == "err.onsale_not_found"
    _run(AdminOnsalesState, "close", admin, onsale_id)
    assert admin.onsales[0]["status"] == "closed"
    with Session(db_engine) as db:
        onsale = db.get(OnSale, onsale_id)
        assert (onsale.paused, onsale.rate_per_minute, onsale.closed) == (False, 30, True)


def test_cart_hold_and_checkout_handlers_refuse_a_queued_session_without_a_pass(db_engine) -> None:
    event_id, offers = _offers(db_engine)
    user_id, token = _user(db_engine, "held@example.org")
    with Session(db_engine) as db:  # seats held before the session went to a waiting room
        cart_service.add_item(db, user_id, offers["solo"], 1)
    onsale_id = _onsale(db_engine, event_id, rate=1)
    shop = _state(CartState, f"jo_session={token}", "/panier")
    _run(CartState, "add", shop, offers["duo"], 1)
    assert shop.error_code == "err.queue_pass_required"
    _run(CartState, "set_quantity", shop, offers["solo"], 3)
    assert shop.error_code == "err.queue_pass_required"
    queue_page = shop.parent_state.substates[QueueState.get_name()]
    queue_page._passes = {str(onsale_id): f"{onsale_id}.{user_id}.9999999999.forged"}  # a forged token
    with pytest.raises(PermissionDeniedError), session_scope(db_engine) as db:  # what the pay handler runs
        checkout._pay_in(db, user_id, CARD, "", None, queue_page._pass_list())
    with Session(db_engine) as db:
        assert db.get(Event, event_id).seats_sold == 0
        assert {line.offer_id: line.quantity for line in cart_view.get_cart(db, user_id).lines} == {
            offers["solo"]: 1}
