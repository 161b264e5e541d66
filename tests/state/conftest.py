"""Reflex state tests (handlers called like the websocket does): each test starts with an empty shared public-data
cache (it holds the previous test's rows). `make_state` builds the state a brand-new socket would have."""

from __future__ import annotations

from typing import TypeVar

import pytest
import reflex as rx
from reflex.istate.data import RouterData

from jo_app.live import public_cache

S = TypeVar("S", bound=rx.State)
ORIGIN = "http://testserver"


def make_state(cls: type[S], cookie: str = "", path: str = "/", *, ip: str | None = None,
               query: dict[str, str] | None = None) -> S:
    """The `cls` substate of a fresh state tree, with the router data of a socket that sent this Cookie header from
    page `path` (with `query`), from address `ip`, with the site's own Origin."""
    state = rx.State(_reflex_internal_init=True)
    for name in cls.get_full_name().split(".")[1:]:
        state = state.substates[name]
    as_path = path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    data = {"headers": {"cookie": cookie, "origin": ORIGIN}, "pathname": path, "asPath": as_path,
            "query": query or {}}
    if ip is not None:
        data["ip"] = ip
    state.router = RouterData.from_router_data(data)
    return state  # type: ignore[return-value]


@pytest.fixture(autouse=True)
def _empty_public_cache():
    public_cache.clear()
    yield
    public_cache.clear()

