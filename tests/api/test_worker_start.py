"""What a server worker does before and beside serving: the warm-up changes nothing and leaves the hot statements
prepared on the pooled connections; `/api/` requests go straight to the API stack; the startup heap is frozen."""

from __future__ import annotations

import asyncio
import gc

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jo_app.api import warmup
from jo_app.api.app import api
from jo_app.asgi import api_first, freeze_startup_heap, transformed_api, warm_routes
from jo_app.models import AuditLog, ScanAttempt, Ticket, TicketStatus
from tests.api.conftest import World, bearer, buy


def _counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as db:
        return (db.scalar(select(func.count()).select_from(ScanAttempt)),
                db.scalar(select(func.count()).select_from(AuditLog)),
                db.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == TicketStatus.VALID.value)))


def test_warm_up_changes_nothing(client, world: World, engine: Engine) -> None:
    buy(client, bearer(client, world.visitor), world.offers["solo"])
    before = _counts(engine)
    assert before[2] == 1
    assert warmup.warm_up(engine, connections=3) == 3
    assert _counts(engine) == before


def test_warm_up_prepares_the_gate_lookup_on_every_pooled_connection(pg_engine: Engine) -> None:
    pg_engine.dispose()
    assert warmup.warm_up(pg_engine, connections=2) == 2
    assert pg_engine.pool.checkedin() == 2
    with pg_engine.connect() as first, pg_engine.connect() as second:  # the two warmed connections
        for connection in (first, second):
            prepared = connection.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
            assert any("WITH admit AS" in statement for statement in prepared), prepared


def test_warm_up_failure_is_logged_not_raised(monkeypatch, caplog) -> None:
    def unreachable(*_args, **_kwargs):
        raise OSError("database unreachable")

    monkeypatch.setattr(warmup, "warm_up", unreachable)
    asyncio.run(warmup.warm_up_worker())
    assert "warm-up failed" in caplog.text


@pytest.mark.parametrize(("kind", "path", "to_api"), [
    ("http", "/api/v1/scans", True),
    ("http", "/api/openapi.json", True),
    ("http", "/apiv1", False),
    ("http", "/offers/api/offers", False),
    ("http", "/", False),
    ("websocket", "/api/v1/scans", False),
    ("lifespan", "", False),
])
def test_only_api_http_requests_skip_the_outer_reflex_layer(kind: str, path: str, to_api: bool) -> None:
    reached: list[str] = []

    def app(name: str):
        async def asgi(scope, receive, send) -> None:
            reached.append(name)
        return asgi

    dispatch = api_first(app("reflex"), app("api"), lambda: reached.append("contexts"))
    asyncio.run(dispatch({"type": kind, "path": path}, None, None))
    assert reached == (["contexts", "api"] if to_api else ["reflex"])


def test_the_api_stack_is_the_transformers_stack() -> None:
    calls: list[object] = []

    def wrap(inner):
        calls.append(inner)
        return ("wrapped", inner)

    assert transformed_api([api, wrap]) == ("wrapped", api) and calls == [api]
    assert transformed_api(api) is api
    with pytest.raises(TypeError):
        transformed_api([wrap])


def test_startup_heap_is_frozen() -> None:
    marker = [["created before the freeze"]]  # a container: tracked by the collector
    assert gc.is_tracked(marker) and any(obj is marker for obj in gc.get_objects())
    try:
        assert freeze_startup_heap() > 0
        assert not any(obj is marker for obj in gc.get_objects())  # frozen: no collection walks it any more
    finally:
        gc.unfreeze()


def test_every_page_loads_the_identity_first() -> None:
    """Each page's first on_load resolves the identity: AuthState.load_identity, or, on the pages below, their one
    on_load, which shows the identity it resolves (tests/state/accounts/test_identity_cache.py,
    tests/state/catalog/test_shop_identity.py, tests/state/gate/test_gate_handlers.py,
    tests/state/test_admin_dashboard_load.py check that it does)."""
    from jo_app.jo_app import app
    from jo_app.state.admin_dashboard import AdminDashboardState
    from jo_app.state.auth import AuthState
    from jo_app.state.catalog.shop import EventPageState, ShopState
    from jo_app.state.gate.control import GateState
    from jo_app.state.orders.checkout import CheckoutState

    own_identity = {"paiement": CheckoutState.load.fn, "billetterie": ShopState.load.fn,
                    "billetterie/[event_id]": EventPageState.load.fn, "controle": GateState.on_load.fn,
                    "admin": AdminDashboardState.load.fn}
    routes = list(app._unevaluated_pages)
    assert len(routes) > 20
    for route in routes:
        events = app.get_load_events(route)
        expected = own_identity.get(route, AuthState.load_identity.fn)
        assert events[0].fn is expected, route
    assert [len(app.get_load_events(route)) for route in ("paiement", "controle", "admin")] == [1, 1, 1]


def test_the_route_tables_are_built_before_the_first_websocket(monkeypatch) -> None:
    """FastAPI builds each included router's matching tables on the first request that walks it; a websocket
    `/_event` connection walks them all (~0.1-0.2 s of CPU). `warm_routes` builds them at start."""
    from fastapi import APIRouter, FastAPI, routing

    def websocket_match(app: FastAPI) -> None:
        scope = {"type": "websocket", "path": "/_event/", "root_path": "", "query_string": b"", "headers": []}
        for route in app.router.routes:
            route.matches(dict(scope))

    built: list[object] = []
    original = routing._IncludedRouter._build_effective_context
    monkeypatch.setattr(routing._IncludedRouter, "_build_effective_context",
                        lambda self, route: built.append(route) or original(self, route))
    for warm in (False, True):
        app, inner = FastAPI(), APIRouter(prefix="/inner")
        inner.add_api_route("/x", lambda: {})
        outer = APIRouter(prefix="/outer")
        outer.add_api_route("/y", lambda: {})
        outer.include_router(inner)
        app.include_router(outer)
        if warm:
            assert warm_routes(app) == 2  # the two included routers, nested included
        built.clear()
        websocket_match(app)
        assert bool(built) is not warm  # cold: the first websocket builds them; warmed: nothing left to build
    warm_routes(api)  # the app's own API: every table built
    built.clear()
    websocket_match(api)
    assert built == []
