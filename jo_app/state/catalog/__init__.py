"""Catalogue states: shop, session and home pages, live seats left, admin catalogue."""
