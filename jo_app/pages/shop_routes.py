"""Page registration for the shop: catalogue, session page, cart, checkout, orders and tickets.

The home page (`/`) is registered by `jo_app.jo_app` (`pages.home.home` + `HomeState.load`, which links the live
stock). Catalogue, session and home pages link `StockState` to the shared `stock` token on load.
"""

import reflex as rx

from jo_app.pages.shop_cart import cart_page, checkout_page
from jo_app.pages.shop_catalogue import catalogue, session_page
from jo_app.pages.shop_orders import order_page, orders_page, tickets_page
from jo_app.state.cart import CartState
from jo_app.state.checkout import CheckoutState
from jo_app.state.orders import OrdersState
from jo_app.state.shop import EventPageState, ShopState
from jo_app.state.stock import StockState

TITLE = "JO E-Tickets"


def register(app: rx.App) -> None:
    """Add this area's pages to the app."""
    app.add_page(catalogue, route="/billetterie", title=f"Billetterie — {TITLE}",
                 on_load=[ShopState.load, StockState.link])
    app.add_page(session_page, route="/billetterie/[event_id]", title=f"Session — {TITLE}",
                 on_load=[EventPageState.load, StockState.link])
    app.add_page(cart_page, route="/panier", title=f"Panier — {TITLE}", on_load=CartState.load)
    app.add_page(checkout_page, route="/paiement", title=f"Paiement — {TITLE}", on_load=CheckoutState.load)
    app.add_page(orders_page, route="/commandes", title=f"Mes commandes — {TITLE}", on_load=OrdersState.load_orders)
    app.add_page(order_page, route="/commandes/[reference]", title=f"Commande — {TITLE}",
                 on_load=OrdersState.load_order)
    app.add_page(tickets_page, route="/billets", title=f"Mes billets — {TITLE}", on_load=OrdersState.load_tickets)
