"""Reflex configuration; every value comes from jo_app.config settings (environment / .env)."""

import reflex as rx

from jo_app.config import get_settings

settings = get_settings()

config = rx.Config(
    app_name="jo_app",
    db_url=settings.database_url,
    redis_url=settings.redis_url,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    cors_allowed_origins=[settings.app_url],
    frontend_port=3000,
    backend_port=3000,
    plugins=[
        rx.plugins.SitemapPlugin(),
        rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="blue", radius="medium")),
    ],
)
