"""The Reflex application: pages, HTTP routes and startup checks."""

import reflex as rx

import jo_app.models  # noqa: F401  (registers the SQLModel tables)
from jo_app.api.app import api
from jo_app.config import get_settings
from jo_app.pages import account_routes, shop_routes
from jo_app.pages.home import home
from jo_app.state.home import HomeState

get_settings().check_production_ready()

app = rx.App(api_transformer=api)
app.add_page(home, route="/", title="JO E-Tickets", on_load=HomeState.load)
account_routes.register(app)
shop_routes.register(app)
