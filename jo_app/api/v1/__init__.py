"""Version 1 of the public REST API, mounted at /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from jo_app.api.v1 import admin, auth, cart, catalog, gate, orders, tickets

router = APIRouter(prefix="/api/v1")
for module in (auth, catalog, cart, orders, tickets, gate, admin):
    router.include_router(module.router)
