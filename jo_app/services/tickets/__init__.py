"""Tickets: signed QR payloads and keys, PDF / .ics documents, holders, transfers and resale."""
