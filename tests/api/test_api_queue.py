"""The waiting room over the REST API: join, place, pass, and no purchase of a queued session without the pass."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from jo_app.services.orders import onsales, waiting_room
from jo_app.services.orders.onsales import OnSaleInput
from jo_app.timeutil import utcnow
from tests.api.conftest import CARD, assert_error, bearer


def test_queue_join_status_pass_and_purchase(client, world) -> None:
    with Session(world.engine) as session:
        onsale_id = onsales.create_onsale(session, None, OnSaleInput(
            name="Finale", opens_at=utcnow() - timedelta(seconds=1), rate_per_minute=60, pass_minutes=10,
            event_ids=(world.event_id,)))
    visitor, other = bearer(client, world.visitor), bearer(client, world.other)
    solo = {"offer_id": world.offers["solo"], "quantity": 1}
    assert_error(client.post("/api/v1/cart/items", headers=visitor, json=solo), 403, "queue_pass_required")
    assert_error(client.post("/api/v1/orders", headers={**visitor, "Idempotency-Key": "q1"},
                             json={"card": CARD, "items": [solo]}), 403, "queue_pass_required")
    assert client.get(f"/api/v1/queues/{onsale_id}", headers=visitor).json()["state"] == "not_joined"
    joined = client.post(f"/api/v1/queues/{onsale_id}/join", headers=visitor).json()
    again = client.post(f"/api/v1/queues/{onsale_id}/join", headers=visitor).json()  # another device
    assert joined["position"] == again["position"] == 1
    assert client.post(f"/api/v1/queues/{onsale_id}/join", headers=other).json()["position"] == 2
    with Session(world.engine) as session:  # a second later at 60/min: the first place is let in
        waiting_room.tick(session, onsale_id, now=utcnow() + timedelta(seconds=1.5))
    status = client.get(f"/api/v1/queues/{onsale_id}", headers=visitor).json()
    assert status["state"] == "admitted" and status["pass_token"]
    token = status["pass_token"]
    waiting = client.get(f"/api/v1/queues/{onsale_id}", headers=other).json()
    assert waiting["state"] in ("waiting", "admitted") and waiting["position"] == 2
    assert_error(client.post("/api/v1/cart/items", headers={**other, "X-Queue-Pass": token}, json=solo), 403,
                 "queue_pass_required")  # bound to the account that was admitted
    with_pass = {**visitor, "X-Queue-Pass": token}
    assert client.post("/api/v1/cart/items", headers=with_pass, json=solo).status_code == 200
    order = client.post("/api/v1/orders", headers={**with_pass, "Idempotency-Key": "q2"}, json={"card": CARD})
    assert order.status_code == 201, order.text
    assert_error(client.get("/api/v1/queues/999999", headers=visitor), 404)


def test_admin_creates_and_steers_an_onsale(client, world) -> None:
    admin, visitor = bearer(client, world.admin), bearer(client, world.visitor)
    body = {"name": "Demi-finale", "opens_at": "2020-01-01T09:00:00Z", "rate_per_minute": 6000,
            "event_ids": [world.other_event_id]}
    assert_error(client.post("/api/v1/admin/onsales", headers=visitor, json=body), 403)
    created = client.post("/api/v1/admin/onsales", headers=admin, json=body)
    assert created.status_code == 201, created.text
    onsale_id = created.json()["id"]
    assert_error(client.post("/api/v1/admin/onsales", headers=admin, json={**body, "event_ids": [999999]}), 404)
    assert client.post(f"/api/v1/queues/{onsale_id}/join", headers=visitor).json()["position"] == 1
    assert client.post(f"/api/v1/admin/onsales/{onsale_id}/pause", headers=admin).json() == {"status": "paused"}
    figures = client.get(f"/api/v1/admin/onsales/{onsale_id}", headers=admin).json()
    assert figures["paused"] and figures["opened"] and figures["waiting"] + figures["admitted"] == 1
    assert client.put(f"/api/v1/admin/onsales/{onsale_id}/rate", headers=admin,
                      json={"rate_per_minute": 10}).status_code == 200
    assert client.get(f"/api/v1/admin/onsales/{onsale_id}", headers=admin).json()["rate_per_minute"] == 10
    assert_error(client.post(f"/api/v1/admin/onsales/{onsale_id}/explode", headers=admin), 404)
    assert_error(client.get(f"/api/v1/admin/onsales/{onsale_id}", headers=visitor), 403)
    assert client.post(f"/api/v1/admin/onsales/{onsale_id}/close", headers=admin).json() == {"status": "closed"}
    solo = {"offer_id": client.get(f"/api/v1/events/{world.other_event_id}").json()["offers"][0]["id"]}
    assert client.post("/api/v1/cart/items", headers=visitor, json=solo).status_code == 200  # free sale again
