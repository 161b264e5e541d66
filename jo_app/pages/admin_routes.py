"""Page registration for the admin area (role admin, checked on the server by every handler).

Each page's on_load first runs `check_access` (sets the display-only access flag), then its own loader, which
checks the role again in the database before reading anything.
"""

import reflex as rx

from jo_app.i18n import page_title
from jo_app.pages.accounts.admin import users_page
from jo_app.pages.admin_audit import audit_page
from jo_app.pages.admin_dashboard import dashboard_page
from jo_app.pages.catalog.admin import catalog_page
from jo_app.pages.orders.admin import orders_page
from jo_app.pages.orders.admin_onsales import onsales_page
from jo_app.pages.tickets.admin import ownership_admin_page
from jo_app.state.accounts.admin import AdminUsersState
from jo_app.state.admin_audit import AdminAuditState
from jo_app.state.admin_common import AdminState
from jo_app.state.admin_dashboard import AdminDashboardState
from jo_app.state.catalog.admin import AdminCatalogState
from jo_app.state.orders.admin import AdminOrdersState
from jo_app.state.orders.admin_onsales import AdminOnsalesState
from jo_app.state.tickets.admin import AdminOwnershipState

TITLE = page_title("page.admin")


def register(app: rx.App) -> None:
    """Add the admin pages to the app."""
    # The dashboard's one on_load checks the role, shows the identity and the figures, and joins the live `admin`
    # room (figures pushed on each change), inside on_load_internal: one event per page view instead of five.
    app.add_page(dashboard_page, route="/admin", title=TITLE, on_load=AdminDashboardState.load,
                 identity_in_load=True, inline_load=True)
    app.add_page(catalog_page, route="/admin/evenements", title=TITLE,
                 on_load=[AdminState.check_access, AdminCatalogState.load])
    app.add_page(orders_page, route="/admin/commandes", title=TITLE,
                 on_load=[AdminState.check_access, AdminOrdersState.load])
    app.add_page(users_page, route="/admin/utilisateurs", title=TITLE,
                 on_load=[AdminState.check_access, AdminUsersState.load])
    app.add_page(audit_page, route="/admin/journal", title=TITLE,
                 on_load=[AdminState.check_access, AdminAuditState.load])
    app.add_page(ownership_admin_page, route="/admin/revente", title=TITLE,
                 on_load=[AdminState.check_access, AdminOwnershipState.load])
    # Queued on-sales: the page joins the live `onsales` room after the role check (figures pushed each tick).
    app.add_page(onsales_page, route="/admin/file-attente", title=TITLE,
                 on_load=[AdminState.check_access, AdminOnsalesState.load])
