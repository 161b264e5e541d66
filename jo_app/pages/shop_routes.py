"""Page registration for this area of the site."""

import reflex as rx


def register(app: rx.App) -> None:
    """Add this area's pages to the app."""
    del app
