"""Home page (built with the shop pages, which share its cards)."""

from jo_app.pages.catalog.shop import home

__all__ = ["home"]
