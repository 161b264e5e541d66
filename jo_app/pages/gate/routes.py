"""Page registration for the staff gate: /controle (employees and admins)."""

import reflex as rx

from jo_app.i18n import page_title
from jo_app.pages.gate.control import gate_page
from jo_app.state.gate.control import GateState


def register(app: rx.App) -> None:
    """Add the gate page to the app."""
    # The on_load shows the identity itself and runs inside on_load_internal (one event per page view, not four).
    app.add_page(gate_page, route="/controle", title=page_title("gate.title"), on_load=GateState.on_load,
                 identity_in_load=True, inline_load=True)
