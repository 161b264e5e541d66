"""ASGI pieces of the served application (`jo_app.application.App`): the REST API reached first, a frozen heap.

Granian calls `app()` (the Reflex app is a factory) in every worker. Reflex builds a stack where each request
crosses its own Starlette app (error handler, CORS, contexts, router, mount) before reaching the API transformers
(`security_middleware(api)`): ~30-40 us of CPU per request, measured in one process. `/api/` requests do not
need that outer layer: they get the same contexts Reflex attaches, then go straight to the same inner stack
(security headers, body limit, FastAPI with its own CORS, error handlers and the Reflex pages mounted behind it for
anything unrouted). Everything else (pages, the `/_event` websocket, uploads, lifespan) takes Reflex's path.

Heap: once the app is built, every object alive is moved to the garbage collector's permanent generation. A
worker holds ~180,000 long-lived objects (Reflex states, components, compiled pages); a full collection walks all
of them, ~60 ms with the whole process stopped, which otherwise lands in the latency of requests in flight.
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from starlette.applications import Starlette

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable, Callable], Awaitable[None]]
API_PREFIX = "/api/"


def freeze_startup_heap() -> int:
    """Collect, then freeze every surviving object (`gc.freeze`); returns how many objects are frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def warm_routes(app: object) -> int:
    """Build FastAPI's per-router matching tables now (FastAPI >= 0.16x builds them lazily, on the first request
    that walks each included router: a websocket `/_event` connection walks them all, and the first one after a
    start paid ~0.1-0.2 s of CPU building pydantic route models while visitors waited). Returns the routers
    warmed; a FastAPI without these tables is left alone."""
    warmed = 0
    pending = list(getattr(getattr(app, "router", None), "routes", ()))
    while pending:
        route = pending.pop()
        candidates = getattr(route, "effective_candidates", None)
        if not callable(candidates):
            continue
        pending.extend(candidates())
        low = getattr(route, "effective_low_priority_routes", None)
        if callable(low):
            low()
        warmed += 1
    return warmed


def api_first(reflex_asgi: ASGIApp, api_asgi: ASGIApp, set_contexts: Callable[[], object]) -> ASGIApp:
    """An ASGI app sending HTTP requests under `/api/` to `api_asgi` (after `set_contexts()`, what Reflex's
    context middleware does) and everything else to `reflex_asgi`."""

    async def dispatch(scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            set_contexts()
            await api_asgi(scope, receive, send)
        else:
            await reflex_asgi(scope, receive, send)

    return dispatch


def transformed_api(transformers: object) -> ASGIApp:
    """The stack `rx.App(api_transformer=transformers)` builds around its own app: a Starlette/FastAPI transformer
    is the app (Reflex mounted its own app inside it), each plain callable wraps what comes before. The first must
    be the FastAPI app. Call it after Reflex has built its app."""
    if not isinstance(transformers, Sequence):
        transformers = [transformers]
    if not transformers or not isinstance(transformers[0], Starlette):
        raise TypeError("api_transformer must start with the FastAPI app")
    asgi: ASGIApp = transformers[0]
    for transformer in transformers[1:]:
        asgi = transformer if isinstance(transformer, Starlette) else transformer(asgi)
    return asgi
