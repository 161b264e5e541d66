"""Version 1 of the public REST API, mounted at /api/v1 (`include(app)`)."""

from __future__ import annotations

from fastapi import FastAPI

from jo_app.api.v1 import admin, auth, cart, catalog, gate, orders, tickets

PREFIX = "/api/v1"
# FastAPI tries the routes in order (and again at each level of included routers) until one matches: the
# modules are included straight into the app, busiest endpoints (POST /orders, POST /scans) first. The
# documented order of the sections is `TAGS`.
MODULES = (orders, gate, auth, catalog, cart, tickets, admin)
TAGS = ["auth", "catalogue", "cart", "orders", "tickets", "gate", "admin"]


def include(app: FastAPI) -> None:
    for module in MODULES:
        app.include_router(module.router, prefix=PREFIX)
