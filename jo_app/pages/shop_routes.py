"""Page registration for the shop: catalogue, session page, cart, checkout, orders and tickets.

The home page (`/`) is registered by `jo_app.jo_app` (`pages.home.home` + `HomeState.load`, which links the live
stock). Catalogue, session and home pages join the live `stock` room in their own on_load handler
(`jo_app.state.catalog.stock.link_page`: one event per page load, not one more chained handler).
"""

import reflex as rx

from jo_app.i18n import page_title
from jo_app.pages.catalog.shop import catalogue, session_page
from jo_app.pages.orders.cart import cart_page, checkout_page
from jo_app.pages.orders.history import order_page, orders_page, tickets_page
from jo_app.pages.orders.queue import queue_page
from jo_app.pages.tickets.ownership import transfer_accept_page
from jo_app.state.catalog.shop import EventPageState, ShopState
from jo_app.state.orders.cart import CartState
from jo_app.state.orders.checkout import CheckoutState
from jo_app.state.orders.history import OrdersState
from jo_app.state.orders.queue import QueueState
from jo_app.state.tickets.ownership import OwnershipState, TransferAcceptState


def register(app: rx.App) -> None:
    """Add this area's pages to the app."""
    app.add_page(catalogue, route="/billetterie", title=page_title("shop.catalogue.title"),
                 on_load=ShopState.load, identity_in_load=True)  # which also shows the identity, links the stock
    app.add_page(session_page, route="/billetterie/[event_id]", title=page_title("page.session"),
                 on_load=EventPageState.load, identity_in_load=True)  # idem
    app.add_page(cart_page, route="/panier", title=page_title("nav.cart"), on_load=CartState.load)
    app.add_page(checkout_page, route="/paiement", title=page_title("checkout.title"), on_load=CheckoutState.load,
                 identity_in_load=True, inline_load=True)  # it shows the identity; run inside on_load_internal
    app.add_page(queue_page, route="/file-attente/[onsale]", title=page_title("queue.title"),
                 on_load=QueueState.load)
    app.add_page(orders_page, route="/commandes", title=page_title("orders.title"), on_load=OrdersState.load_orders)
    app.add_page(order_page, route="/commandes/[reference]", title=page_title("page.order"),
                 on_load=OrdersState.load_order)
    app.add_page(tickets_page, route="/billets", title=page_title("tickets.title"),
                 on_load=[OrdersState.load_tickets, OwnershipState.load])
    app.add_page(transfer_accept_page, route="/billets/transfert/[token]", title=page_title("page.transfer"),
                 on_load=TransferAcceptState.load)
