"""Ticket pages: the ownership panel of 'Mes billets', admin resale settings."""
