"""Home page."""

import reflex as rx

from jo_app.state.home import HomeState


def home() -> rx.Component:
    return rx.container(
        rx.vstack(
            rx.heading("JO E-Tickets — Paris 2024", size="8"),
            rx.text("Billetterie officielle des épreuves olympiques."),
            rx.text(
                rx.text.strong(HomeState.sessions_on_sale, id="sessions-on-sale"),
                " sessions en vente",
            ),
            spacing="4",
            padding_y="3em",
        )
    )
