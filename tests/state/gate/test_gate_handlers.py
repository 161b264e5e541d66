"""Gate page handlers called as any websocket client can call them (SQLite and PostgreSQL): the page's one on_load
checks the role and reads the sessions in one step, shows the display identity to everyone, and gives staff only
the sessions; `configure` re-checks the role, takes a listed session's label without a read, looks any other one
up, and shows counters read once for the devices joining together (never older than a change heard of)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial
from types import SimpleNamespace

import pytest
from reflex.istate.data import RouterData
from reflex.state import OnLoadInternalState
from reflex_base.registry import RegistrationContext
from sqlmodel import Session

from jo_app import application
from jo_app.db import session_scope
from jo_app.live import hub, public_cache
from jo_app.models import Role, User
from jo_app.services.accounts import sessions
from jo_app.services.accounts import users as accounts
from jo_app.services.catalog import admin as catalog_admin
from jo_app.state import auth
from jo_app.state.gate import control
from jo_app.state.gate import live as gate_live
from jo_app.state.gate.control import GateState
from jo_app.state.gate.live import GateLiveState
from jo_app.timeutil import utcnow
from tests.state.conftest import make_state

PASSWORD = "Piste!Verte2024"
FORM = {"gate": "Porte A"}


@pytest.fixture
def db(engine, monkeypatch):
    """The states' database access on the test database; the counters' reads and the rooms joined recorded."""
    for module in (auth, control, gate_live):
        monkeypatch.setattr(module, "session_scope", partial(session_scope, engine))
    reads: list[int] = []
    real_read = gate_live.read_counts

    def read_counts(event_id: int) -> dict[str, int]:
        reads.append(event_id)
        return real_read(event_id)

    monkeypatch.setattr(gate_live, "read_counts", read_counts)
    joined: list[tuple[str, str]] = []

    async def join(sid, topic, *, leave_prefix=False):
        joined.append((sid, topic))

    monkeypatch.setattr(hub, "join", join)
    gate_live._shared.clear()
    engine.reads, engine.joined = reads, joined
    yield engine
    gate_live._shared.clear()


def _user(engine, email: str, role: Role) -> tuple[int, str]:
    with Session(engine) as session:
        user = accounts.create_user(session, email=email, password=PASSWORD, first_name="Alex", last_name="Martin",
                                    role=role, verified=True)
        session.commit()
        return user.id, sessions.create_session(session, user.id)


def _event(engine, title: str, days: float) -> int:
    with Session(engine) as session:
        return catalog_admin.create_event(session, None, catalog_admin.EventInput(
            title=title, sport="Judo", venue="Arena", starts_at=utcnow() + timedelta(days=days), capacity=10))


def _run(state, name: str, *args):
    return asyncio.run(GateState.event_handlers[name].fn(state, *args))


def _device(cookie: str) -> GateState:
    """A device's GateState, its socket id "sid-1"."""
    state = make_state(GateState, cookie, "/controle")
    state.router = RouterData.from_router_data(
        {"headers": {"cookie": cookie}, "pathname": "/controle", "asPath": "/controle", "query": {}, "sid": "sid-1"})
    return state


def _live(state) -> GateLiveState:
    return state._get_root_state().get_substate(GateLiveState.get_full_name().split(".")[1:])


@pytest.mark.parametrize("who", ["anonymous", "forged", "visitor"])
def test_the_page_gives_non_staff_nothing_but_shows_who_they_are(db, who: str) -> None:
    event_id = _event(db, "Judo — finale", 0.1)
    cookie = {"anonymous": "", "forged": "jo_session=forged"}.get(who)
    if cookie is None:
        cookie = f"jo_session={_user(db, 'visitor@example.org', Role.VISITOR)[1]}"
    gate = _device(cookie)
    _run(gate, "on_load")
    assert not gate.allowed and gate.checked and gate.events == []
    assert gate.is_authenticated == (who == "visitor")  # the navbar's identity, for everyone
    _run(gate, "configure", {**FORM, "event_id": str(event_id)})
    assert not gate.configured and gate.event_id == 0 and db.joined == [] and db.reads == []
    assert public_cache.peek(control.EVENTS_KEY) is None  # nothing staff-only was read for them


def test_staff_get_the_sessions_and_configure_from_the_list(db) -> None:
    listed = _event(db, "Judo — finale", 0.1)
    past = _event(db, "Escrime — passée", -40)  # not controllable any more, but it exists
    _user_id, token = _user(db, "agent@example.org", Role.EMPLOYEE)
    gate = _device(f"jo_session={token}")
    _run(gate, "on_load")
    assert gate.allowed and gate.is_authenticated and gate.user_role == "employee"
    assert [e["id"] for e in gate.events] == [str(listed)] and gate.events[0]["open"] == "1"

    _run(gate, "configure", {**FORM, "event_id": str(listed)})
    assert gate.configured and gate.event_id == listed and gate.event_label == gate.events[0]["label"]
    assert db.joined == [("sid-1", f"gate:{listed}")]
    live = _live(gate)
    assert (live.live_event_id, live.admitted_persons, live.sold_persons) == (listed, 0, 0)

    _run(gate, "configure", {**FORM, "event_id": str(past)})  # not in the list: looked up
    assert gate.event_id == past and gate.event_label == "Escrime — passée" and gate.setup_error == ""
    _run(gate, "configure", {**FORM, "event_id": "999999"})  # does not exist
    assert gate.event_id == past and gate.setup_error != ""


def test_configure_rechecks_the_role_from_the_database(db) -> None:
    event_id = _event(db, "Judo — finale", 0.1)
    user_id, token = _user(db, "agent@example.org", Role.EMPLOYEE)
    gate = _device(f"jo_session={token}")
    _run(gate, "on_load")
    with Session(db) as session:  # demoted after the page loaded (the commit drops the cached identity)
        session.get(User, user_id).role = Role.VISITOR.value
        session.commit()
    _run(gate, "configure", {**FORM, "event_id": str(event_id)})
    assert not gate.configured and not gate.allowed and gate.events == [] and db.joined == []


def test_devices_joining_together_share_one_read_of_the_counters_until_a_change(db) -> None:
    event_id = _event(db, "Judo — finale", 0.1)
    devices = []
    for n in range(3):
        gate = _device(f"jo_session={_user(db, f'agent{n}@example.org', Role.EMPLOYEE)[1]}")
        _run(gate, "on_load")
        devices.append(gate)

    async def configure_all(group):
        await asyncio.gather(*(GateState.event_handlers["configure"].fn(g, {**FORM, "event_id": str(event_id)})
                               for g in group))

    asyncio.run(configure_all(devices[:2]))  # at the same moment: one read
    assert db.reads == [event_id] and all(_live(g).live_event_id == event_id for g in devices[:2])
    gate_live.forget_counts(f"gate:{event_id}")  # what a notification of the event's topic does
    asyncio.run(configure_all(devices[2:]))
    assert db.reads == [event_id, event_id]


def test_a_read_overtaken_by_a_change_is_read_again(db, monkeypatch) -> None:
    event_id = _event(db, "Judo — finale", 0.1)
    values = iter([{"admitted_tickets": 1, "admitted_persons": 1, "sold_persons": 5},
                   {"admitted_tickets": 2, "admitted_persons": 2, "sold_persons": 5}])
    loops: list[asyncio.AbstractEventLoop] = []

    def read_counts(_event_id: int) -> dict[str, int]:
        counts = next(values)
        if counts["admitted_tickets"] == 1:  # a scan is notified while the first read runs
            loops[0].call_soon_threadsafe(gate_live.forget_counts, f"gate:{event_id}")
        return counts

    monkeypatch.setattr(gate_live, "read_counts", read_counts)

    async def go():
        loops.append(asyncio.get_running_loop())
        return await gate_live.shared_counts(event_id)

    assert asyncio.run(go())["admitted_persons"] == 2


def test_the_page_loads_inside_on_load_internal(db) -> None:
    _event(db, "Judo — finale", 0.1)
    _user_id, token = _user(db, "agent@example.org", Role.EMPLOYEE)
    on_load = make_state(OnLoadInternalState, f"jo_session={token}", "/controle")
    context = RegistrationContext.get()
    previous = context._app
    object.__setattr__(context, "_app", SimpleNamespace(get_load_events=lambda path: [GateState.on_load]))
    try:
        application.install_inline_loads()
        application._INLINE_LOADS.add(GateState.on_load.fn)
        assert asyncio.run(OnLoadInternalState.event_handlers["on_load_internal"].fn(on_load)) is None
    finally:
        object.__setattr__(context, "_app", previous)
    gate = on_load._get_root_state().get_substate(GateState.get_full_name().split(".")[1:])
    assert on_load.is_hydrated and gate.allowed and gate.is_authenticated and len(gate.events) == 1


def test_the_route_runs_the_gate_load_inline() -> None:
    import jo_app.jo_app  # noqa: F401  (registers the pages)

    assert GateState.on_load.fn in application._INLINE_LOADS
