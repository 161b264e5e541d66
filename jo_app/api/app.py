"""The FastAPI application mounted into Reflex (`rx.App(api_transformer=...)`): one place for every HTTP route."""

from __future__ import annotations

from fastapi import FastAPI

from jo_app import wiring
from jo_app.api import auth_routes, docs, errors, live_qr, spec_routes, ticket_files, upload_guard, v1
from jo_app.web import metrics, security
from jo_app.web.request_id import RequestIdMiddleware

API_DESCRIPTION = (
    "Public REST API of JO E-Tickets. Authenticate with `POST /api/v1/auth/token` and send "
    "`Authorization: Bearer <access_token>` (15 minutes; renew with the refresh token). Errors always have the "
    'shape `{"error": {"code": "...", "message": "..."}}` with a stable `code`. Sensitive endpoints are rate '
    "limited (429 with Retry-After)."
)
# Observability is Prometheus (`/metrics`) and JSON logs: FastAPI's built-in OpenTelemetry hooks are off (else they
# look for configured OTel providers on every request).
api = FastAPI(title="JO E-Tickets API", version="1.0.0", description=API_DESCRIPTION, docs_url=None,
              redoc_url=None, openapi_url=docs.OPENAPI_URL, openapi_tags=[{"name": tag} for tag in v1.TAGS],
              telemetry={"tracing": False, "metrics": False, "logs": False})
wiring.wire()  # after-commit reactions to domain events (metrics, live pushes, job worker)
errors.install(api)
upload_guard.install(api)
security.install_upload_guard(upload_guard.is_upload_request, upload_guard.guard)  # web/ imports no API module
v1.include(api)  # first: the busiest routes are matched first
api.include_router(spec_routes.router)
api.include_router(docs.router)
api.mount(docs.ASSETS, docs.assets, name="swagger-ui-assets")
api.include_router(auth_routes.router)
api.include_router(ticket_files.router)
api.include_router(live_qr.router)
api.include_router(metrics.router)  # GET /metrics (Prometheus)
# Outermost last: every request (pages, API, /_event websockets) gets an X-Request-ID, then is measured.
api.add_middleware(metrics.MetricsMiddleware)
api.add_middleware(RequestIdMiddleware)
