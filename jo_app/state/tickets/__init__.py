"""Ticket states: ownership on 'Mes billets' (holder, transfer, resale), admin resale settings."""
