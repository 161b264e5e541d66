"""jo_app.live.lazy_states: a page's tree holds only the states its events needed; a hydrate with the compiled-state
hashes sends exactly what the whole tree sends; without them (a reconnect) the whole tree is built; a state written
to disk comes back when an event needs it; `get_state(Other)` builds `Other`."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest
from reflex.istate.data import RouterData
from reflex.istate.delta import _resolve_delta
from reflex.istate.manager.token import BaseStateToken
from reflex.state import State, _diff_against_initial_state
from reflex_base.event.processor.base_state_processor import _hydrate_event_names

import jo_app.jo_app  # registers every state of the app
from jo_app.live import lazy_states
from jo_app.live.lazy_states import LazyStateManagerDisk
from jo_app.state.admin_dashboard import AdminDashboardState
from jo_app.state.auth import AuthState
from jo_app.state.catalog.shop import ShopState
from jo_app.state.orders.cart import CartState

HYDRATE = sorted(name for name in _hydrate_event_names() if name.endswith("hydrate_and_load"))[0]


@pytest.fixture
def manager(tmp_path, monkeypatch) -> LazyStateManagerDisk:
    monkeypatch.setenv("REFLEX_STATES_WORKDIR", str(tmp_path))
    return LazyStateManagerDisk(_write_debounce_seconds=0)


def _names(root) -> set[str]:
    found, todo = set(), [root]
    while todo:
        state = todo.pop()
        found.add(type(state).__name__)
        todo.extend(state.substates.values())
    return found


def _router(token: str, path: str = "/billetterie") -> RouterData:
    return RouterData.from_router_data({"token": token, "pathname": path, "asPath": path,
                                        "headers": {"origin": "http://testserver"}})


def test_the_app_serves_the_lazy_manager() -> None:
    assert isinstance(jo_app.jo_app.app._state_manager, LazyStateManagerDisk)


def test_an_event_builds_its_state_and_parents_only(manager) -> None:
    async def go():
        async with manager.modify_state(BaseStateToken(ident="t1", cls=ShopState)) as root:
            return _names(root)

    assert asyncio.run(go()) == {"State", "AuthState", "ShopState"}  # no admin, gate, account... states


def test_get_state_of_another_state_builds_it(manager, monkeypatch) -> None:
    import reflex.istate.manager as managers

    monkeypatch.setattr(managers, "get_state_manager", lambda: manager)

    async def go():
        async with manager.modify_state(BaseStateToken(ident="t2", cls=ShopState)) as root:
            root.router = _router("t2")
            shop = root.get_substate(ShopState._get_substate_path())
            cart = await shop.get_state(CartState)
            admin = await shop.get_state(AdminDashboardState)
            return cart, admin, _names(root)

    cart, admin, names = asyncio.run(go())
    assert isinstance(cart, CartState) and isinstance(admin, AdminDashboardState)
    assert {"CartState", "AdminState", "AdminDashboardState"} <= names and "GateState" not in names


def _hydrate(hashes: list[str] | None) -> SimpleNamespace:
    return SimpleNamespace(name=HYDRATE, payload={"hashes": hashes} if hashes else {})


def test_a_hydrate_without_hashes_builds_the_whole_tree(manager) -> None:
    async def go():
        async with manager.modify_state(BaseStateToken(ident="t3", cls=State), event=_hydrate(None)) as root:
            return _names(root)

    names = asyncio.run(go())
    assert {"AdminDashboardState", "GateState", "CartState", "StockState"} <= names


def test_a_first_hydrate_sends_what_the_whole_tree_sends(manager) -> None:
    from benchmarks.wsclient import initial_state_hashes

    hashes = initial_state_hashes()

    async def snapshot(root) -> dict:
        root.router = _router("t4")
        return await _diff_against_initial_state(State, await _resolve_delta(root.dict()), hashes)

    async def go():
        async with manager.modify_state(BaseStateToken(ident="t4", cls=State), event=_hydrate(hashes)) as lazy:
            assert "AdminDashboardState" not in _names(lazy) and "CartState" not in _names(lazy)
            return await snapshot(lazy), await snapshot(State(_reflex_internal_init=True))

    lazy_delta, whole_delta = asyncio.run(go())
    assert lazy_delta == whole_delta and lazy_delta  # (the router vars differ from the compiled defaults)


def test_a_state_written_to_disk_comes_back_when_needed(manager) -> None:
    token = BaseStateToken(ident="t5", cls=ShopState)

    async def go():
        async with manager.modify_state(token) as root:
            root.get_substate(ShopState._get_substate_path()).sport = "Judo"
            root.get_substate(AuthState._get_substate_path()).user_first_name = "Ada"
        await manager._flush_write_queue()
        manager._purge_token(token)  # what jo_app.live.reclaim does for a page that left
        async with manager.modify_state(BaseStateToken(ident="t5", cls=AuthState)) as root:
            names = _names(root)
            auth = root.get_substate(AuthState._get_substate_path())
        async with manager.modify_state(token) as root:
            return names, auth.user_first_name, root.get_substate(ShopState._get_substate_path()).sport

    names, first_name, sport = asyncio.run(go())
    assert names == {"State", "AuthState"} and first_name == "Ada" and sport == "Judo"


def test_required_states_are_parents_first_with_dependent_computed_vars() -> None:
    for cls in (ShopState, CartState, AdminDashboardState, State):
        chain = lazy_states.required(cls)
        assert chain[0] is State and cls in chain
        for position, state_cls in enumerate(chain[1:], 1):
            assert state_cls.get_parent_state() in chain[:position]
        for dependent in cls._get_potentially_dirty_states():
            assert dependent in chain


def test_the_setting_keeps_reflex_manager(manager, monkeypatch) -> None:
    from reflex.istate.manager.disk import StateManagerDisk

    plain = StateManagerDisk()
    monkeypatch.setattr(lazy_states, "enabled", lambda: False)
    assert lazy_states.manager_for(plain) is plain
    monkeypatch.setattr(lazy_states, "enabled", lambda: True)
    assert isinstance(lazy_states.manager_for(plain), LazyStateManagerDisk)
    assert lazy_states.manager_for(manager) is manager  # already lazy: kept


def test_expired_files_scan_survives_a_file_removed_by_another_process(manager, monkeypatch) -> None:
    """Two processes sharing the states directory (tests collected by two workers, an app and a CLI) both scan
    for expired files: a file the other removed between the listing and its `stat` is skipped, the rest go."""
    import os
    from pathlib import Path

    directory = manager.states_directory
    gone, expired, fresh = directory / "gone.pkl", directory / "expired.pkl", directory / "fresh.pkl"
    for path in (gone, expired, fresh):
        path.write_bytes(b"x")
    old = time.time() - manager.token_expiration - 60
    os.utime(expired, (old, old))
    real_stat = Path.stat

    def stat(path: Path, *args, **kwargs):
        if path.name == "gone.pkl":
            path.unlink()  # the other process was quicker
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    manager._last_file_purge = 0.0  # (the manager's start scanned already)
    manager._purge_expired_states()
    assert not gone.exists() and not expired.exists() and fresh.exists()


def test_the_file_scan_runs_once_a_minute(manager) -> None:
    """Listing every state file is O(pages): not at each round of the write loop."""
    expired = manager.states_directory / "expired.pkl"
    expired.write_bytes(b"x")
    old = time.time() - manager.token_expiration - 60
    import os

    os.utime(expired, (old, old))
    manager._purge_expired_states()  # within a minute of the manager's start: skipped
    assert expired.exists()
    manager._last_file_purge -= lazy_states.FILE_PURGE_SECONDS
    manager._purge_expired_states()
    assert not expired.exists()


def test_the_write_loop_is_paced_whatever_the_queue(tmp_path, monkeypatch) -> None:
    """Reflex's write loop wakes each time the oldest queued state is due: with pages arriving continuously, one
    round (sort of the whole queue, scan of every token) per arrival. Paced here: one round per WRITE_LOOP_SECONDS."""
    monkeypatch.setenv("REFLEX_STATES_WORKDIR", str(tmp_path))
    manager = LazyStateManagerDisk(_write_debounce_seconds=0.05)
    now = time.time()
    for n in range(1000):  # queued 1 ms apart: Reflex would sleep ~0 s and come back for the next one
        manager._write_queue[f"token-{n}"] = SimpleNamespace(timestamp=now - 0.05 + n / 1000)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(lazy_states.asyncio, "sleep", sleep)
    asyncio.run(manager._process_write_queue_delay())
    assert slept == [lazy_states.WRITE_LOOP_SECONDS]
