"""Resale over the REST API: list, buy through POST /orders at face value, withdraw; ownership (IDOR) and admin
checks; the figures."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from jo_app.services import job_worker
from tests.api.conftest import CARD, World, assert_error, bearer, buy, make_event, make_offers
from tests.smtp_capture import smtp_capture


@pytest.fixture
def later(world: World) -> tuple[int, dict[str, int]]:
    with Session(world.engine, expire_on_commit=False) as session:
        event_id = make_event(session, "Finale natation", capacity=4, hours=48)
        return event_id, make_offers(session, event_id)


def test_resale_journey_and_idor(client: TestClient, world: World, later, monkeypatch, tmp_path) -> None:
    event_id, offers = later
    seller, buyer, admin = bearer(client, world.visitor), bearer(client, world.other), bearer(client, world.admin)
    ticket_id = buy(client, seller, offers["duo"])["ticket_ids"][0]
    buy(client, bearer(client, world.employee), offers["duo"])  # now sold out (4 seats)
    assert_error(client.post(f"/api/v1/tickets/{ticket_id}/resale", headers=seller), 409, "resale_closed")
    body = {"enabled": True, "fee_bps": 1000}
    assert_error(client.put(f"/api/v1/admin/events/{event_id}/resale", json=body, headers=seller), 403)
    opened = client.put(f"/api/v1/admin/events/{event_id}/resale", json=body, headers=admin)
    assert opened.status_code == 204, opened.text
    assert_error(client.put(f"/api/v1/admin/events/{event_id}/resale", json={"enabled": True, "fee_bps": 9000},
                            headers=admin), 422)

    assert_error(client.post(f"/api/v1/tickets/{ticket_id}/resale", headers=buyer), 404, "ticket_not_found")
    listed = client.post(f"/api/v1/tickets/{ticket_id}/resale", headers=seller)
    assert listed.status_code == 201, listed.text
    listing = listed.json()
    assert (listing["price_cents"], listing["fee_cents"], listing["status"]) == (9000, 900, "listed")
    assert client.get("/api/v1/resale", headers=buyer).json() == []
    assert_error(client.delete(f"/api/v1/resale/{listing['id']}", headers=buyer), 404, "listing_not_found")

    with smtp_capture(monkeypatch, tmp_path / "outbox") as smtp:  # the normal checkout serves the listed ticket
        order = client.post("/api/v1/orders", headers={**buyer, "Idempotency-Key": "resale-1"},
                            json={"card": CARD, "items": [{"offer_id": offers["duo"], "quantity": 1}]}).json()
        assert job_worker.run_pending(world.engine) == 1  # the order's confirmation job: buyer, then the seller
        notice = smtp.to(world.visitor.email)[-1]
        assert "revendu" in notice["Subject"]
        assert "81,00" in notice.get_body(("plain",)).get_content()  # 90 € face value minus the 10 % fee
    assert order["ticket_ids"] == [ticket_id] and order["total_cents"] == 9000
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=buyer).status_code == 200
    assert_error(client.get(f"/api/v1/tickets/{ticket_id}", headers=seller), 404)
    assert client.get("/api/v1/resale", headers=seller).json()[0]["status"] == "sold"
    assert_error(client.delete(f"/api/v1/resale/{listing['id']}", headers=seller), 409, "listing_closed")
    assert_error(client.get("/api/v1/admin/resale", headers=seller), 403)
    assert client.get("/api/v1/admin/resale", headers=admin).json() == {
        "listed": 0, "sold": 1, "withdrawn": 0, "resold_cents": 9000, "fees_cents": 900}


def test_withdraw_then_the_ticket_is_the_sellers_again(client: TestClient, world: World, later) -> None:
    event_id, offers = later
    seller, admin = bearer(client, world.visitor), bearer(client, world.admin)
    client.put(f"/api/v1/admin/events/{event_id}/resale", json={"enabled": True}, headers=admin)
    ticket_id = buy(client, seller, offers["solo"])["ticket_ids"][0]
    listing = client.post(f"/api/v1/tickets/{ticket_id}/resale", headers=seller).json()
    assert_error(client.post(f"/api/v1/tickets/{ticket_id}/resale", headers=seller), 409, "already_listed")
    assert_error(client.post(f"/api/v1/tickets/{ticket_id}/transfers", json={"email": world.other.email},
                             headers=seller), 409, "ticket_listed")
    assert client.delete(f"/api/v1/resale/{listing['id']}", headers=seller).status_code == 204
    other = buy(client, bearer(client, world.other), offers["solo"])
    assert other["ticket_ids"] != [ticket_id]
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=seller).status_code == 200


def test_listing_and_withdrawing_push_the_shops_seats_left(client: TestClient, world: World, later,
                                                           monkeypatch) -> None:
    """A listed ticket is a seat on sale again: the open shop pages hear of it (and of its withdrawal), and so do the
    admin dashboards (their resale figures)."""
    from jo_app import live
    from jo_app.services import events

    pushed: list[str] = []
    monkeypatch.setattr(live, "notify", lambda *topics: pushed.extend(topics))
    event_id, offers = later
    seller, admin = bearer(client, world.visitor), bearer(client, world.admin)
    ticket_id = buy(client, seller, offers["solo"])["ticket_ids"][0]
    assert events.wait_idle()  # pushes follow the commit, off the request (domain events)
    pushed.clear()
    assert client.put(f"/api/v1/admin/events/{event_id}/resale", json={"enabled": True},
                      headers=admin).status_code == 204
    assert events.wait_idle() and pushed == ["stock"]
    listing = client.post(f"/api/v1/tickets/{ticket_id}/resale", headers=seller).json()
    assert events.wait_idle() and pushed == ["stock", "stock", "admin"]
    assert client.delete(f"/api/v1/resale/{listing['id']}", headers=seller).status_code == 204
    assert events.wait_idle()
    assert pushed == ["stock", "stock", "admin", "stock", "admin"]


def test_a_listing_in_a_rest_cart_is_held_for_that_buyer(client: TestClient, world: World, later) -> None:
    """REST cart: adding the listed pack of a sold-out session holds that listing; another buyer's cart is refused
    `sold_out`, the seller's withdrawal `listing_held`; the holder pays from the cart and gets exactly that ticket."""
    event_id, offers = later
    seller, buyer, admin = bearer(client, world.visitor), bearer(client, world.other), bearer(client, world.admin)
    late = bearer(client, world.employee)
    client.put(f"/api/v1/admin/events/{event_id}/resale", json={"enabled": True}, headers=admin)
    ticket_id = buy(client, seller, offers["duo"])["ticket_ids"][0]
    buy(client, admin, offers["duo"])  # now sold out (4 seats)
    listing = client.post(f"/api/v1/tickets/{ticket_id}/resale", headers=seller).json()
    added = client.post("/api/v1/cart/items", headers=buyer, json={"offer_id": offers["duo"], "quantity": 1})
    assert added.status_code == 200, added.text
    line = added.json()["lines"][0]
    assert line["hold_expires_at"] and not line["hold_expired"] and line["problem"] is None
    assert_error(client.post("/api/v1/cart/items", headers=late, json={"offer_id": offers["duo"], "quantity": 1}),
                 422, "sold_out")
    assert_error(client.delete(f"/api/v1/resale/{listing['id']}", headers=seller), 409, "listing_held")
    paid = client.post("/api/v1/orders", headers={**buyer, "Idempotency-Key": "held-resale"},
                       json={"card": CARD, "send_confirmation": False})
    assert paid.status_code == 201, paid.text
    assert paid.json()["ticket_ids"] == [ticket_id]
    assert client.get("/api/v1/resale", headers=seller).json()[0]["status"] == "sold"
