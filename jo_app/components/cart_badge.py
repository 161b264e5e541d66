"""Navbar cart badge: the number of packs in the visitor's cart (CartState.count), hidden when empty."""

import reflex as rx

from jo_app.i18n import tr
from jo_app.state.cart import CartState


def cart_badge() -> rx.Component:
    """A small badge with the cart count; it loads the count when it mounts (0 for anonymous visitors)."""
    return rx.fragment(
        rx.cond(
            CartState.count > 0,
            rx.badge(CartState.count, color_scheme="red", variant="solid", radius="full", high_contrast=False,
                     aria_label=tr("cart.badge_label", n=CartState.count),
                     custom_attrs={"data-testid": "cart-count"}),
        ),
        rx.box(on_mount=CartState.load_count, display="none"),
    )
