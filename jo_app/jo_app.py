"""The Reflex application: pages, HTTP routes and startup checks."""

import jo_app.models  # noqa: F401  (registers the SQLModel tables)
from jo_app.api import warmup
from jo_app.api.app import api
from jo_app.api.security import security_middleware
from jo_app.application import App
from jo_app.config import get_settings
from jo_app.logging_setup import configure_logging
from jo_app.pages import account_routes, admin_routes, gate_routes, shop_routes
from jo_app.pages.home import home
from jo_app.state.home import HomeState

configure_logging()  # JSON lines with the request id (LOG_FORMAT, LOG_LEVEL)
get_settings().check_production_ready()

# Security headers and the request body limit wrap everything; `/api/` requests skip Reflex's outer layer
# (jo_app.application).
app = App(api_transformer=[api, security_middleware], html_lang="fr")
app.register_lifespan_task(warmup.warm_up_worker)  # each worker: first requests as fast as the next ones
app.add_page(home, route="/", title="JO E-Tickets", on_load=HomeState.load)
account_routes.register(app)
shop_routes.register(app)
gate_routes.register(app)
admin_routes.register(app)
