"""Reflex configuration; every value comes from jo_app.config settings (environment / .env)."""

import reflex as rx

from jo_app.config import get_settings
from jo_app.web.origins import allowed_origins

settings = get_settings()

config = rx.Config(
    app_name="jo_app",
    db_url=settings.database_url,
    redis_url=settings.redis_url,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # APP_URL's origin; in development also its loopback spellings (localhost, 127.0.0.1, 0.0.0.0, [::1]).
    cors_allowed_origins=allowed_origins(settings),
    frontend_port=3000,
    backend_port=3000,
    plugins=[
        rx.plugins.SitemapPlugin(),
        rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="blue", radius="medium")),
    ],
)
