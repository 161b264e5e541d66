"""The shared live catalogue: one message per burst of page loads (`Hub.welcome`), one Reflex delta of the pushed
`CatalogueState` per change, and catalogue pages without filters keep no copy of it in their own state (with
filters: their own results, and the room that asks them to search again)."""

from __future__ import annotations

import asyncio

from jo_app.live import hub as global_hub
from jo_app.live.hub import NAMESPACE, Hub, TopicSpec, delta_update
from jo_app.state.catalog import live as catalogue_live
from jo_app.state.catalog.live import CatalogueState
from jo_app.state.catalog.shop import ShopState
from tests.state.catalog.test_shop_handlers import _offers, _run, _state


class _Manager:
    def __init__(self) -> None:
        self.rooms: dict[str, dict[str, dict[str, None]]] = {NAMESPACE: {}}


class _Sio:
    """The part of python-socketio's AsyncServer the hub uses, recording each emit with its recipients."""

    def __init__(self) -> None:
        self.manager, self.emits = _Manager(), []

    async def enter_room(self, sid, room, namespace=None) -> None:
        self.manager.rooms[namespace].setdefault(room, {})[sid] = None

    async def leave_room(self, sid, room, namespace=None) -> None:
        self.manager.rooms[namespace].get(room, {}).pop(sid, None)

    async def close_room(self, room, namespace=None) -> None:
        self.manager.rooms[namespace].pop(room, None)

    async def emit(self, event, data, to=None, namespace=None) -> None:
        self.emits.append((to, sorted(self.manager.rooms[namespace].get(to, {})), data))


class _App:
    def __init__(self, sio: _Sio) -> None:
        self.sio = sio


def test_a_burst_of_page_loads_gets_the_figures_in_one_message() -> None:
    hub, sio, reads = Hub(), _Sio(), []

    def reader(topic: str):
        reads.append(topic)
        return delta_update("s", {"x": len(reads)})

    hub.register("t", TopicSpec(reader))
    hub.bind(_App(sio))

    async def go() -> None:
        hub.attach_loop()
        await asyncio.gather(*(hub.welcome(f"sid{i}", "t") for i in range(50)))
        await asyncio.sleep(0.2)
        await hub.welcome("late", "t")  # after the batch went: a batch of its own
        await asyncio.sleep(0.2)

    asyncio.run(go())
    assert [(to.endswith("#welcome1"), len(members)) for to, members, _data in sio.emits] == [(True, 50), (False, 1)]
    assert sio.emits[1][1] == ["late"]
    assert reads == ["t"]  # the second batch reused the recent read
    rooms = sio.manager.rooms[NAMESPACE]
    assert set(rooms) == {hub.room("t")} and len(rooms[hub.room("t")]) == 51  # batch rooms closed, all in the topic


def test_the_catalogue_update_is_one_delta_of_the_pushed_state(db_engine) -> None:
    event_id, _offers_ids = _offers(db_engine)
    update = catalogue_live._catalogue_update("catalogue")
    values = update.delta[CatalogueState.get_full_name()]
    assert [row["id"] for row in values["events_rx_state_"]] == [event_id]
    assert values["sports_rx_state_"] == ["Judo"] and values["venues_rx_state_"] == ["Arena"]
    assert values["loaded_rx_state_"] is True and update.events == []


def test_a_page_without_filters_keeps_no_catalogue_and_one_with_filters_searches(db_engine, monkeypatch) -> None:
    event_id, _offers_ids = _offers(db_engine)
    sio = _Sio()
    monkeypatch.setattr(global_hub, "_app", _App(sio))
    search_room = global_hub.room(catalogue_live.SEARCH_TOPIC)

    page = _state(ShopState, "", "/billetterie")
    page.router = page.router.__class__.from_router_data({
        "headers": {"origin": "http://testserver"}, "pathname": "/billetterie", "asPath": "/billetterie",
        "sid": "sid-1"})
    sid = page.router.session.session_id
    assert sid
    _run(ShopState, "load", page)
    assert page.loaded and page.events == []  # the catalogue only goes to the browser (CatalogueState)
    rooms = sio.manager.rooms[NAMESPACE]
    assert sid in rooms[global_hub.room("catalogue")] and sid in rooms[global_hub.room("stock")]
    assert sid not in rooms.get(search_room, {})

    _run(ShopState, "set_filter", page, "sport", "Judo")
    assert [row["id"] for row in page.events] == [event_id] and sid in rooms[search_room]
    _run(ShopState, "reset_filters", page)
    assert page.events == [] and sid not in rooms[search_room]
