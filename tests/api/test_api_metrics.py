"""API orders and scans feed the Prometheus counters (domain events, delivered after the commit)."""

from __future__ import annotations

from sqlmodel import Session

from jo_app.models import Ticket
from jo_app.services import events
from jo_app.services.tickets import tokens as ticket_tokens
from jo_app.web import metrics

from .conftest import bearer, buy


def _value(counter, **labels) -> float:
    return counter.labels(**labels)._value.get() if labels else counter._value.get()


def test_api_order_and_scan_are_counted(client, world) -> None:
    orders_before, tickets_before = _value(metrics.ORDERS), _value(metrics.TICKETS)
    order = buy(client, bearer(client, world.visitor), world.offers["duo"], quantity=2)
    assert events.wait_idle()
    assert _value(metrics.ORDERS) == orders_before + 1
    assert _value(metrics.TICKETS) == tickets_before + 2

    with Session(world.engine) as session:
        ticket = session.get(Ticket, order["ticket_ids"][0])
        payload = ticket_tokens.ensure_payload(session, ticket)
        session.commit()
    valid_before = _value(metrics.SCANS, verdict="VALID")
    response = client.post("/api/v1/scans", headers=bearer(client, world.employee),
                           json={"payload": payload, "gate": "Porte A"})
    assert response.status_code == 200, response.text
    assert response.json()["verdict"] == "VALID"
    assert events.wait_idle()
    assert _value(metrics.SCANS, verdict="VALID") == valid_before + 1
