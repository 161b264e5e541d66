"""Catalogue, cart, orders and tickets through the API, including IDOR (someone else's order/ticket/PDF -> 404)."""

from __future__ import annotations

import io
import uuid

import zxingcpp
from PIL import Image
from sqlalchemy import func
from sqlmodel import Session, select

from jo_app.models import Event, Order, Ticket
from jo_app.services.catalog import admin as catalog_admin
from tests.api.conftest import CARD, assert_error, bearer, buy


def test_catalogue_lists_filters_and_details(client, world) -> None:
    events = client.get("/api/v1/events").json()
    assert [e["id"] for e in events] == [world.event_id, world.other_event_id]
    assert {o["offer_type"] for o in events[0]["offers"]} == {"solo", "duo", "family"}
    assert events[0]["starts_at"].endswith("+00:00")
    assert [e["id"] for e in client.get("/api/v1/events", params={"q": "demi"}).json()] == [world.other_event_id]
    family = client.get("/api/v1/events", params={"type": "familiale"}).json()
    assert all([o["offer_type"] for o in e["offers"]] == ["family"] for e in family) and len(family) == 2
    assert client.get(f"/api/v1/events/{world.event_id}").json()["title"] == "Finale 100 m"
    assert_error(client.get("/api/v1/events/999999"), 404, "event_not_found")
    assert_error(client.get("/api/v1/events/abc"), 422, "invalid_request")
    offer = client.get(f"/api/v1/offers/{world.offers['duo']}").json()
    assert offer["persons"] == 2 and offer["price_cents"] == 9000
    assert len(client.get("/api/v1/offers", params={"event_id": world.event_id, "type": "solo"}).json()) == 1

    spec = client.get("/offers/api/offers", params={"type": "familiale"})
    assert spec.status_code == 200 and {o["type"] for o in spec.json()} == {"familiale"} and len(spec.json()) == 2
    assert len(client.get("/offers/api/offers").json()) == 6
    assert_error(client.get("/offers/api/offers", params={"type": "vip"}), 422)

    with Session(world.engine) as session:
        catalog_admin.set_event_published(session, None, world.other_event_id, False)
    assert_error(client.get(f"/api/v1/events/{world.other_event_id}"), 404)
    assert len(client.get("/offers/api/offers").json()) == 3


def test_cart_read_add_set_remove(client, world) -> None:
    headers = bearer(client, world.visitor)
    assert client.get("/api/v1/cart", headers=headers).json()["lines"] == []
    cart = client.post("/api/v1/cart/items", headers=headers, json={"offer_id": world.offers["duo"], "quantity": 2})
    assert cart.status_code == 200 and cart.json()["count"] == 2 and cart.json()["total_cents"] == 18000
    assert client.get("/cart/api/count", headers=headers).json() == {"count": 2}
    cart = client.put(f"/api/v1/cart/items/{world.offers['duo']}", headers=headers, json={"quantity": 3}).json()
    assert cart["count"] == 3
    assert_error(client.post("/api/v1/cart/items", headers=headers,
                             json={"offer_id": world.offers["solo"], "quantity": 4}), 422, "limit_exceeded")
    assert_error(client.post("/api/v1/cart/items", headers=headers, json={"offer_id": 999999}), 404)
    assert_error(client.post("/api/v1/cart/items", headers=headers,
                             json={"offer_id": world.offers["solo"], "quantity": -1}), 422, "invalid_request")
    cart = client.delete(f"/api/v1/cart/items/{world.offers['duo']}", headers=headers).json()
    assert cart["count"] == 0
    client.post("/api/v1/cart/items", headers=headers, json={"offer_id": world.offers["solo"], "quantity": 2})
    assert client.delete("/api/v1/cart", headers=headers).json()["lines"] == []
    assert_error(client.get("/api/v1/cart"), 401)


def test_order_from_cart_is_idempotent_and_needs_a_key(client, world) -> None:
    headers = bearer(client, world.visitor)
    client.post("/api/v1/cart/items", headers=headers, json={"offer_id": world.offers["family"], "quantity": 1})
    assert_error(client.post("/api/v1/orders", headers=headers, json={"card": CARD}), 422, "invalid_request")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = client.post("/api/v1/orders", headers={**headers, **key}, json={"card": CARD, "send_confirmation": False})
    assert first.status_code == 201 and first.json()["created"] is True and len(first.json()["ticket_ids"]) == 1
    again = client.post("/api/v1/orders", headers={**headers, **key}, json={"card": CARD})
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["reference"] == first.json()["reference"]
    assert client.get("/cart/api/count", headers=headers).json() == {"count": 0}
    assert_error(client.post("/api/v1/orders", headers={**headers, "Idempotency-Key": "k2"}, json={"card": CARD}),
                 422, "empty_cart")
    declined = {**CARD, "number": "4000 0000 0000 0002"}
    client.post("/api/v1/cart/items", headers=headers, json={"offer_id": world.offers["solo"], "quantity": 1})
    assert_error(client.post("/api/v1/orders", headers={**headers, "Idempotency-Key": "k3"},
                             json={"card": declined}), 402, "card_declined")
    with Session(world.engine) as session:
        assert session.exec(select(func.count()).select_from(Order)).one() == 1
        assert session.get(Event, world.event_id).seats_sold == 4


def test_order_from_items_leaves_the_cart_alone_and_never_oversells(client, world) -> None:
    headers = bearer(client, world.visitor)
    client.post("/api/v1/cart/items", headers=headers, json={"offer_id": world.offers["solo"], "quantity": 2})
    order = buy(client, headers, world.offers["duo"], 3)
    assert order["total_cents"] == 27000 and len(order["ticket_ids"]) == 3
    cart = client.get("/api/v1/cart", headers=headers).json()
    assert [(line["offer_id"], line["quantity"]) for line in cart["lines"]] == [(world.offers["solo"], 2)]
    with Session(world.engine) as session:
        event = session.get(Event, world.event_id)
        event.capacity = event.seats_sold + 3
        session.add(event)
        session.commit()
    other = bearer(client, world.other)
    refused = client.post("/api/v1/orders", headers={**other, "Idempotency-Key": "x"},
                          json={"card": CARD, "items": [{"offer_id": world.offers["family"], "quantity": 1}]})
    assert refused.status_code in (409, 422) and refused.json()["error"]["code"] in ("sold_out", "not_enough_seats")
    assert_error(client.post("/api/v1/orders", headers={**other, "Idempotency-Key": "y"},
                             json={"card": CARD, "items": [{"offer_id": 424242, "quantity": 1}]}), 404)
    with Session(world.engine) as session:
        event = session.get(Event, world.event_id)
        assert event.seats_sold == 6 <= event.capacity
        assert client.get("/cart/api/count", headers=other).json() == {"count": 0}


def test_orders_and_tickets_are_private(client, world) -> None:
    mine, theirs = bearer(client, world.visitor), bearer(client, world.other)
    order = buy(client, mine, world.offers["duo"], 1)
    ticket_id = order["ticket_ids"][0]
    listed = client.get("/api/v1/orders", headers=mine).json()
    assert [o["reference"] for o in listed] == [order["reference"]]
    detail = client.get(f"/api/v1/orders/{order['reference']}", headers=mine).json()
    assert detail["tickets"][0]["id"] == ticket_id and detail["summary"]["persons"] == 2
    tickets = client.get("/api/v1/tickets", headers=mine).json()
    assert [t["id"] for t in tickets] == [ticket_id] and tickets[0]["status"] == "valid"
    one = client.get(f"/api/v1/tickets/{ticket_id}", headers=mine).json()
    assert one["order_reference"] == order["reference"] and one["pdf_url"] == f"/api/v1/tickets/{ticket_id}/ticket.pdf"

    png = client.get(f"/api/v1/tickets/{ticket_id}/qr.png", headers=mine)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert "no-store" in png.headers["cache-control"]
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)), formats=zxingcpp.BarcodeFormat.QRCode)
    with Session(world.engine) as session:
        assert decoded and decoded[0].text == session.get(Ticket, ticket_id).qr_payload
    pdf = client.get(f"/api/v1/tickets/{ticket_id}/ticket.pdf", headers=mine)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # Another visitor: everything is "not found", exactly like an id that does not exist.
    assert client.get("/api/v1/orders", headers=theirs).json() == []
    assert client.get("/api/v1/tickets", headers=theirs).json() == []
    for path in (f"/api/v1/orders/{order['reference']}", f"/api/v1/tickets/{ticket_id}",
                 f"/api/v1/tickets/{ticket_id}/qr.png", f"/api/v1/tickets/{ticket_id}/ticket.pdf",
                 "/api/v1/tickets/999999/ticket.pdf"):
        response = client.get(path, headers=theirs)
        assert_error(response, 404)
        assert b"%PDF" not in response.content and b"PNG" not in response.content
    for path in (f"/api/v1/orders/{order['reference']}", f"/api/v1/tickets/{ticket_id}/ticket.pdf"):
        assert_error(client.get(path), 401)


def test_order_confirmation_and_registration_mails(client, world) -> None:
    from jo_app.services import mail

    headers = bearer(client, world.visitor)
    order = client.post("/api/v1/orders", headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                        json={"card": CARD, "items": [{"offer_id": world.offers["duo"], "quantity": 2}]}).json()
    from jo_app.services import job_worker

    assert [m for m in mail.read_outbox() if world.visitor.email in str(m["To"])] == []  # queued, not sent yet
    assert job_worker.run_pending(world.engine) == 1  # the job the order's transaction wrote (the app's worker)
    sent = [m for m in mail.read_outbox() if world.visitor.email in str(m["To"])]
    assert len(sent) == 1 and order["reference"] in str(sent[0]["Subject"]) + sent[0].get_body().get_content()
    pdfs = [part for part in sent[0].iter_attachments() if part.get_content_type() == "application/pdf"]
    assert len(pdfs) == 2 and all(p.get_content().startswith(b"%PDF") for p in pdfs)
    address = f"mail.check.{uuid.uuid4().hex[:8]}@example.org"
    client.post("/api/v1/auth/register", json={"email": address, "password": "Sprint!Paris2024",
                                                "first_name": "Zoé", "last_name": "Petit", "consent": True})
    assert not any(address in str(m["To"]) for m in mail.read_outbox())  # queued with the account, not sent yet
    assert job_worker.run_pending(world.engine) == 1
    assert any(address in str(m["To"]) for m in mail.read_outbox())


def test_cart_holds_seats_with_expiry_in_json(client, world) -> None:
    from datetime import datetime, timedelta

    from sqlalchemy import update

    from jo_app.models import SeatHold
    from jo_app.timeutil import utcnow

    with Session(world.engine) as session:
        session.get(Event, world.event_id).capacity = 4
        session.commit()
    visitor, other = bearer(client, world.visitor), bearer(client, world.other)
    cart = client.post("/api/v1/cart/items", headers=visitor, json={"offer_id": world.offers["duo"], "quantity": 2})
    assert cart.status_code == 200, cart.text
    body = cart.json()
    server_time = datetime.fromisoformat(body["server_time"])
    expires = datetime.fromisoformat(body["hold_expires_at"])
    assert timedelta(minutes=14) < expires - server_time <= timedelta(minutes=15)
    assert body["lines"][0]["hold_expires_at"] == body["hold_expires_at"] and not body["lines"][0]["hold_expired"]
    # Held seats are taken for everyone else: catalogue and carts.
    assert client.get(f"/api/v1/events/{world.event_id}").json()["seats_left"] == 0
    assert_error(client.post("/api/v1/cart/items", headers=other, json={"offer_id": world.offers["solo"]}),
                 422, "sold_out")
    # The hold expires: the line says so; someone else takes the seats; holding again is refused, then works.
    with Session(world.engine) as session:
        session.exec(update(SeatHold).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    body = client.get("/api/v1/cart", headers=visitor).json()
    assert body["hold_expires_at"] is None and body["lines"][0]["hold_expired"]
    assert client.post("/api/v1/cart/items", headers=other, json={"offer_id": world.offers["solo"]}).status_code == 200
    assert_error(client.post(f"/api/v1/cart/items/{world.offers['duo']}/hold", headers=visitor), 422,
                 "not_enough_seats")
    assert_error(client.post("/api/v1/orders", headers={**visitor, "Idempotency-Key": "late"}, json={"card": CARD}),
                 409, "sold_out")
    client.delete("/api/v1/cart", headers=other)
    held = client.post(f"/api/v1/cart/items/{world.offers['duo']}/hold", headers=visitor)
    assert held.status_code == 200 and held.json()["hold_expires_at"] is not None
    assert_error(client.post("/api/v1/cart/items/999999/hold", headers=visitor), 404)
    order = client.post("/api/v1/orders", headers={**visitor, "Idempotency-Key": "k"}, json={"card": CARD})
    assert order.status_code == 201, order.text
    with Session(world.engine) as session:
        event = session.get(Event, world.event_id)
        assert (event.seats_sold, event.seats_held) == (4, 0)


# The specification's `Offer` model (3.1.2), field by field.
SPEC_OFFER_FIELDS = {"id", "titre", "description", "type", "nombre_personnes", "prix", "disponibilite",
                     "date_evenement", "image", "est_publie", "date_creation", "date_modification"}


def test_spec_offers_use_the_specifications_names(client, world) -> None:
    items = client.get("/offers/api/offers").json()
    assert {o["type"] for o in items} == {"solo", "duo", "familiale"}
    for item in items:
        assert set(item) >= SPEC_OFFER_FIELDS, SPEC_OFFER_FIELDS - set(item)
        assert "offer_type" not in item and "family" not in item.values()
        assert item["nombre_personnes"] == {"solo": 1, "duo": 2, "familiale": 4}[item["type"]]
        assert item["prix"] == item["prix_centimes"] / 100 and item["est_publie"] is True
        assert item["date_evenement"].endswith("+00:00") and item["disponibilite"] >= 0
    for kind in ("solo", "duo", "familiale"):
        assert {o["type"] for o in client.get("/offers/api/offers", params={"type": kind}).json()} == {kind}
    # The versioned API keeps its own names.
    assert {o["offer_type"] for o in client.get("/api/v1/offers").json()} == {"solo", "duo", "family"}
