"""Version 1 of the public REST API, mounted at /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from jo_app.api.v1 import admin, auth, cart, catalog, gate, orders, tickets

router = APIRouter(prefix="/api/v1")
# FastAPI tries the routes in order, twice per router level, until one matches: the busiest endpoints
# (POST /orders, POST /scans) come first. The documented order of the sections is `TAGS` (app.py).
for module in (orders, gate, auth, catalog, cart, tickets, admin):
    router.include_router(module.router)

TAGS = ["auth", "catalogue", "cart", "orders", "tickets", "gate", "admin"]
