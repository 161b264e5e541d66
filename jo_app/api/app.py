"""The FastAPI application mounted into Reflex (`rx.App(api_transformer=...)`): one place for every HTTP route."""

from __future__ import annotations

from fastapi import FastAPI

from jo_app.api import auth_routes, metrics, ticket_files
from jo_app.api.request_id import RequestIdMiddleware

api = FastAPI(title="JO E-Tickets API", docs_url=None, redoc_url=None, openapi_url=None)
api.include_router(auth_routes.router)
api.include_router(ticket_files.router)
api.include_router(metrics.router)  # GET /metrics (Prometheus)
# Outermost last: every request (pages, API, /_event websockets) gets an X-Request-ID, then is measured.
api.add_middleware(metrics.MetricsMiddleware)
api.add_middleware(RequestIdMiddleware)
