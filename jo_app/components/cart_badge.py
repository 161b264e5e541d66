"""Navbar cart badge slot (filled by the shop area with its CartState count).

`cart_badge()` must return a small component (e.g. an `rx.badge` with the number of cart lines, with an
`aria-label` from the catalogue) or an empty fragment when the cart is empty. The layout places it next to the
"Panier" link on desktop and in the mobile menu.
"""

import reflex as rx


def cart_badge() -> rx.Component:
    """The number of items in the visitor's cart (placeholder until the shop's CartState exists)."""
    return rx.fragment()
