"""The FastAPI application mounted into Reflex (`rx.App(api_transformer=...)`): one place for every HTTP route."""

from __future__ import annotations

from fastapi import FastAPI

from jo_app.api import auth_routes, ticket_files

api = FastAPI(title="JO E-Tickets API", docs_url=None, redoc_url=None, openapi_url=None)
api.include_router(auth_routes.router)
api.include_router(ticket_files.router)
