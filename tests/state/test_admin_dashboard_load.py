"""The admin dashboard's one on_load (run inside on_load_internal): the display identity for everyone, the figures and
the live `admin` room for administrators only (role re-read from the database), in one thread hop."""

from __future__ import annotations

import asyncio

import pytest
from reflex.istate.data import RouterData
from sqlmodel import Session, select

from jo_app import application
from jo_app.live import hub
from jo_app.models import Role, User
from jo_app.services.accounts import sessions
from jo_app.services.accounts import users as accounts
from jo_app.state import admin_dashboard
from jo_app.state.admin_dashboard import AdminDashboardState
from tests.state.conftest import make_state


@pytest.fixture
def db(db_engine, monkeypatch):
    engine = db_engine
    joined: list[tuple[str, str]] = []

    async def join(sid, topic, *, leave_prefix=False):
        joined.append((sid, topic))

    monkeypatch.setattr(hub, "join", join)
    admin_dashboard.forget_shared()
    engine.joined = joined
    yield engine
    admin_dashboard.forget_shared()


def _page(engine, role: Role | None) -> AdminDashboardState:
    cookie = ""
    if role is not None:
        with Session(engine) as session:
            user = accounts.create_user(session, email=f"{role.value}@example.org", password="Piste!Verte2024",
                                        first_name="Alex", last_name="Martin", role=role, verified=True)
            session.commit()
            cookie = f"jo_session={sessions.create_session(session, user.id)}"
    state = make_state(AdminDashboardState, cookie, "/admin")
    state.router = RouterData.from_router_data(
        {"headers": {"cookie": cookie}, "pathname": "/admin", "asPath": "/admin", "query": {}, "sid": "sid-9"})
    return state


def _load(state) -> None:
    asyncio.run(AdminDashboardState.event_handlers["load"].fn(state))


@pytest.mark.parametrize("role", [None, Role.VISITOR, Role.EMPLOYEE])
def test_non_admins_see_who_they_are_and_nothing_else(db, role) -> None:
    page = _page(db, role)
    _load(page)
    assert page.access == "denied" and page.kpis == {} and not page.loaded and page.admin_name == ""
    assert page.is_authenticated == (role is not None) and page.user_role == (role.value if role else "")
    assert db.joined == []


def test_an_admin_gets_identity_figures_and_the_live_room(db) -> None:
    page = _page(db, Role.ADMIN)
    _load(page)
    assert page.access == "granted" and page.loaded and page.admin_name == "Alex"
    assert page.is_authenticated and page.user_role == "admin"
    assert page.kpis["revenue_cents"] == 0 and len(page.per_day) == admin_dashboard.SALES_DAYS
    assert db.joined == [("sid-9", "admin")]


def test_a_demoted_admin_is_refused_at_the_next_load(db) -> None:
    page = _page(db, Role.ADMIN)
    _load(page)
    with Session(db) as session:
        session.exec(select(User).where(User.email == "admin@example.org")).one().role = Role.VISITOR.value
        session.commit()
    db.joined.clear()
    _load(page)
    assert page.access == "denied" and page.kpis == {} and db.joined == []


def test_the_route_runs_the_dashboard_load_inline() -> None:
    import jo_app.jo_app  # noqa: F401  (registers the pages)

    assert AdminDashboardState.load.fn in application._INLINE_LOADS


def test_figures_read_across_a_change_are_not_shared(db, monkeypatch) -> None:
    """Dashboards loading together share one read, but never one that a change overtook: the next page reads again."""
    reads: list[int] = []

    def read(_session):
        reads.append(1)
        if len(reads) == 1:
            admin_dashboard.forget_shared("admin")  # a sale heard while the first read runs
        return {"reads": len(reads)}

    monkeypatch.setattr(admin_dashboard, "_read", read)
    with Session(db) as session:
        assert admin_dashboard.shared_dashboard(session) == {"reads": 1}
        assert admin_dashboard.shared_dashboard(session) == {"reads": 2}  # the first read was not kept
        assert admin_dashboard.shared_dashboard(session) == {"reads": 2}  # the second one is shared
