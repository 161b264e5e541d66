"""Catalogue: events (competition sessions) and their offers, read side, admin side, images."""
