"""The Reflex application: pages, HTTP routes and startup checks."""

from reflex_base.utils.format import format_event_handler

import jo_app.models  # noqa: F401  (registers the SQLModel tables)
from jo_app import live, wiring
from jo_app.api import upload_guard, warmup
from jo_app.api.app import api
from jo_app.application import App
from jo_app.config import get_settings
from jo_app.i18n import page_title
from jo_app.live import engineio_tuning, reflex_tuning
from jo_app.logging_setup import configure_logging
from jo_app.models import Role
from jo_app.pages import admin_routes, shop_routes
from jo_app.pages.accounts import routes as account_routes
from jo_app.pages.gate import routes as gate_routes
from jo_app.pages.home import home
from jo_app.pages.not_found import not_found_page
from jo_app.services import job_worker
from jo_app.state.catalog.admin import AdminCatalogState
from jo_app.state.catalog.home import HomeState
from jo_app.state.orders.hold_sweep import sweep_forever
from jo_app.state.orders.queue_live import tick_forever
from jo_app.web import metrics
from jo_app.web.origins import announce_url
from jo_app.web.security import security_middleware

configure_logging()  # JSON lines with the request id (LOG_FORMAT, LOG_LEVEL)
reflex_tuning.install()  # per-page hydrate costs of Reflex cut without changing behaviour (jo_app.live.reflex_tuning)
engineio_tuning.install()  # no task per frame in each websocket's writer (jo_app.live.engineio_tuning)
get_settings().check_production_ready()
metrics.warn_if_unprotected()
wiring.wire()  # after-commit reactions to domain events (metrics, live pushes, job worker)

# Security headers and the request body limit wrap everything; `/api/` requests skip Reflex's outer layer
# (jo_app.application).
app = App(api_transformer=[api, security_middleware], html_lang="fr")
app.register_lifespan_task(warmup.warm_up_worker)  # each worker: first requests as fast as the next ones
live.hub.bind(app)  # live rooms live on this app's socket.io server
app.register_lifespan_task(live.start)  # each worker: the live hub on its loop, relayed through Redis if set
app.register_lifespan_task(announce_url)  # development: the URL to open
app.register_lifespan_task(job_worker.start_in_app)  # durable jobs (mails) unless JOBS_IN_APP=0
app.register_lifespan_task(sweep_forever)  # expired seat holds released every HOLD_SWEEP_SECONDS
app.register_lifespan_task(tick_forever)  # waiting rooms: admissions each second, one broadcast per change
app.add_page(home, route="/", title=page_title("home.page_title"), on_load=HomeState.load)
account_routes.register(app)
shop_routes.register(app)
gate_routes.register(app)
admin_routes.register(app)
app.add_page(not_found_page, route="404", title=page_title("notfound.title"))
# The only handlers `POST /_upload` may reach, and who may call them (checked before the body is read).
for _handler in (AdminCatalogState.upload_event_image, AdminCatalogState.upload_offer_image):
    upload_guard.allow_upload(format_event_handler(_handler), [Role.ADMIN])
