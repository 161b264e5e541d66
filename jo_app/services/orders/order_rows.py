"""A paid order's row and its new tickets written in ONE statement on PostgreSQL (two on other databases).

`write` takes the order's values and its tickets' values without the order id: on PostgreSQL the order INSERT is a
data-modifying CTE whose id the tickets' INSERT ... SELECT uses (their per-ticket columns travel as one JSON array,
`json_to_recordset`), and the statement returns the order id and the tickets' ids: one round trip instead of two.
A twin order (same user and idempotency key) or a colliding reference fails in it with IntegrityError, as the
order's own INSERT did. Used when no resale ticket is claimed for the order (those need the order id first).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import JSON, Integer, String, bindparam, column, func, insert, select, true
from sqlalchemy.engine import Connection

from jo_app.models import Order, Ticket

_O, _T = Order.__table__, Ticket.__table__
ORDER_COLUMNS = ("user_id", "reference", "total_cents", "status", "created_at", "paid_at", "cancelled_at",
                 "purchase_key", "email", "idempotency_key", "payment_reference", "card_last4")
TICKET_OWN = ("number", "offer_id", "event_id", "persons", "ticket_key", "qr_id")  # per ticket
TICKET_SHARED = ("user_id", "holder_name", "user_key", "purchase_key", "status", "generated_at")  # same for all
TICKET_NULL = ("qr_payload", "used_at", "used_by_id", "used_gate", "cancelled_at")  # NULL in a new ticket

INSERT_ORDER = insert(_O).returning(_O.c.id)
INSERT_TICKETS = insert(_T).returning(_T.c.id, sort_by_parameter_order=True)

_NEW_ORDER = (insert(_O).values({name: bindparam(f"o_{name}", type_=_O.c[name].type) for name in ORDER_COLUMNS})
              .returning(_O.c.id).cte("new_order"))
_OWN = func.json_to_recordset(bindparam("tickets", type_=JSON)).table_valued(
    column("number", String), column("offer_id", Integer), column("event_id", Integer), column("persons", Integer),
    column("ticket_key", String), column("qr_id", String)).render_derived(name="own", with_types=True)
_NEW_TICKETS = (
    insert(_T).from_select(
        ["order_id", *TICKET_OWN, *TICKET_SHARED],
        select(_NEW_ORDER.c.id, *(_OWN.c[name] for name in TICKET_OWN),
               *(bindparam(f"t_{name}", type_=_T.c[name].type) for name in TICKET_SHARED))
        .select_from(_NEW_ORDER).join(_OWN, true()), include_defaults=False)
    .returning(_T.c.id).cte("new_tickets")
)
_ORDER_AND_TICKETS = select(_NEW_ORDER.c.id, select(func.array_agg(_NEW_TICKETS.c.id)).scalar_subquery())


def write(connection: Connection, order: Mapping[str, Any],
          tickets: list[dict[str, Any]]) -> tuple[int, tuple[int, ...]]:
    """INSERT the order (`ORDER_COLUMNS`) and its tickets (`TICKET_OWN` + `TICKET_SHARED` + `TICKET_NULL` each, the
    shared ones equal for all; their `order_id` is set here); returns (order id, ticket ids in the tickets' order)."""
    if connection.dialect.name != "postgresql" or not tickets:
        order_id = connection.execute(INSERT_ORDER, dict(order)).scalar_one()
        for ticket in tickets:
            ticket["order_id"] = order_id
        return order_id, (tuple(connection.execute(INSERT_TICKETS, tickets).scalars().all()) if tickets else ())
    first = tickets[0]
    if any(first[name] is not None for name in TICKET_NULL) or any(
            ticket[name] != first[name] for ticket in tickets for name in TICKET_SHARED):
        raise ValueError("order_rows.write: the tickets differ in a shared column")
    params = {f"o_{name}": order[name] for name in ORDER_COLUMNS}
    params.update({f"t_{name}": first[name] for name in TICKET_SHARED})
    params["tickets"] = [{name: ticket[name] for name in TICKET_OWN} for ticket in tickets]
    order_id, ids = connection.execute(_ORDER_AND_TICKETS, params).one()
    for ticket in tickets:
        ticket["order_id"] = order_id
    return order_id, tuple(sorted(ids))  # serial ids, given in the rows' order (json_to_recordset keeps it)
