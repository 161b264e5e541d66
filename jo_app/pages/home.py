"""Home page (built with the shop pages, which share its cards)."""

from jo_app.pages.shop_catalogue import home

__all__ = ["home"]
