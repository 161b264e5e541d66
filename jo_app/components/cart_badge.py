"""Navbar cart badge: the number of packs in the visitor's cart (CartState.count), hidden when empty."""

import reflex as rx

from jo_app.i18n import tr_count
from jo_app.state.orders.cart import CartState


def cart_badge(load: bool = True) -> rx.Component:
    """A small badge with the cart count; with `load`, it loads the count when it mounts (0 for anonymous visitors).

    One badge per page loads the count; the others (phone header, menu) show the same state var."""
    if not load:
        return rx.cond(
            CartState.count > 0,
            rx.badge(CartState.count, color_scheme="red", variant="solid", radius="full", high_contrast=False,
                     aria_label=tr_count("cart.badge_label", CartState.count),
                     custom_attrs={"data-testid": "cart-count"}),
        )
    return rx.fragment(
        rx.cond(
            CartState.count > 0,
            rx.badge(CartState.count, color_scheme="red", variant="solid", radius="full", high_contrast=False,
                     aria_label=tr_count("cart.badge_label", CartState.count),
                     custom_attrs={"data-testid": "cart-count"}),
        ),
        rx.box(on_mount=CartState.load_count, display="none"),
    )
