"""Page registration for the staff gate: /controle (employees and admins)."""

import reflex as rx

from jo_app.pages.gate import gate_page
from jo_app.state.gate import GateState

TITLE = "JO E-Tickets"


def register(app: rx.App) -> None:
    """Add the gate page to the app."""
    app.add_page(gate_page, route="/controle", title=f"Contrôle — {TITLE}", on_load=GateState.on_load)
