"""`redirect_to` (state/orders/cart.py): the same frontend event as `rx.redirect`, from a spec built once."""

from __future__ import annotations

import pytest
import reflex as rx
from reflex_base.event import Event

from jo_app.state.orders.cart import redirect_to


@pytest.mark.parametrize("path", ["/commandes/JO24-7K3M-Q9XD", "/", "/billetterie/3?q=l'été \"x\"&a=b#f"])
def test_redirect_to_is_rx_redirect(path: str) -> None:
    assert Event.from_event_type([redirect_to(path)]) == Event.from_event_type([rx.redirect(path)])
    assert Event.from_event_type([redirect_to(path)])[0].payload == {"path": path, "external": False, "popup": False,
                                                                      "replace": False}
