"""Page registration for the admin area (role admin, checked on the server by every handler).

Each page's on_load first runs `check_access` (sets the display-only access flag), then its own loader, which
checks the role again in the database before reading anything.
"""

import reflex as rx

from jo_app.pages.admin_audit import audit_page
from jo_app.pages.admin_catalog import catalog_page
from jo_app.pages.admin_dashboard import dashboard_page
from jo_app.pages.admin_orders import orders_page
from jo_app.pages.admin_users import users_page
from jo_app.state.admin_audit import AdminAuditState
from jo_app.state.admin_catalog import AdminCatalogState
from jo_app.state.admin_common import AdminState
from jo_app.state.admin_dashboard import AdminDashboardState
from jo_app.state.admin_live import AdminLiveState
from jo_app.state.admin_orders import AdminOrdersState
from jo_app.state.admin_users import AdminUsersState

TITLE = "Administration — JO E-Tickets"


def register(app: rx.App) -> None:
    """Add the admin pages to the app."""
    # The dashboard links to the live admin counter: `admin_live.publish_admin_stats` refreshes it on the server.
    app.add_page(dashboard_page, route="/admin", title=TITLE,
                 on_load=[AdminState.check_access, AdminDashboardState.load, AdminLiveState.link])
    app.add_page(catalog_page, route="/admin/evenements", title=TITLE,
                 on_load=[AdminState.check_access, AdminCatalogState.load])
    app.add_page(orders_page, route="/admin/commandes", title=TITLE,
                 on_load=[AdminState.check_access, AdminOrdersState.load])
    app.add_page(users_page, route="/admin/utilisateurs", title=TITLE,
                 on_load=[AdminState.check_access, AdminUsersState.load])
    app.add_page(audit_page, route="/admin/journal", title=TITLE,
                 on_load=[AdminState.check_access, AdminAuditState.load])
