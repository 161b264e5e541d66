"""Version 1 of the public REST API, mounted at /api/v1 (`include(app)`)."""

from __future__ import annotations

from fastapi import FastAPI

from jo_app.api.v1 import (
    admin,
    admin_onsales,
    auth,
    auth_codes,
    cart,
    catalog,
    gate,
    orders,
    ownership,
    queues,
    resale,
    tickets,
)

PREFIX = "/api/v1"
# FastAPI tries the routes in order (and again at each level of included routers) until one matches: the
# modules are included straight into the app, busiest endpoints (POST /orders, POST /scans) first. The
# documented order of the sections is `TAGS`.
MODULES = (orders, gate, auth, auth_codes, catalog, cart, tickets, ownership, resale, admin, admin_onsales, queues)
TAGS = ["auth", "catalogue", "waiting room", "cart", "orders", "tickets", "ownership", "resale", "gate", "admin"]


def include(app: FastAPI) -> None:
    for module in MODULES:
        app.include_router(module.router, prefix=PREFIX)
