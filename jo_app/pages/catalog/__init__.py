"""Catalogue pages: home, catalogue and session page, admin catalogue."""
