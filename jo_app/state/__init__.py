"""Reflex states: thin UI logic that calls services (never the other way round)."""
