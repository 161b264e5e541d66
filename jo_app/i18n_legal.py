"""Catalogue strings of the legal pages (privacy policy, legal notice, terms of sale); merged into jo_app.i18n."""

LEGAL: dict[str, dict[str, str]] = {}
