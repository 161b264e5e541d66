"""REST endpoints of ticket ownership (holders, transfers) with their ownership checks (IDOR), on SQLite and
PostgreSQL, with the e-mails caught by a real SMTP server on loopback."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from jo_app.models import Ticket
from jo_app.services.tickets.tokens import ensure_payload
from tests.api.conftest import World, assert_error, bearer, buy, make_event, make_offers
from tests.smtp_capture import smtp_capture

TOKEN_IN_LINK = re.compile(r"/billets/transfert/([A-Za-z0-9_-]{16,128})")


@pytest.fixture
def later_offers(world: World) -> dict[str, int]:
    """Offers of a session two days ahead (holders and transfers still open)."""
    with Session(world.engine, expire_on_commit=False) as session:
        return make_offers(session, make_event(session, "Finale judo", hours=48))


def _ticket_id(client: TestClient, headers: dict, offer_id: int) -> int:
    return buy(client, headers, offer_id)["ticket_ids"][0]


def test_holder_endpoint_is_owner_only(client: TestClient, world: World, later_offers: dict) -> None:
    owner, other = bearer(client, world.visitor), bearer(client, world.other)
    ticket_id = _ticket_id(client, owner, later_offers["duo"])
    body = {"first_name": "Marie", "last_name": "Curie"}
    assert_error(client.put(f"/api/v1/tickets/{ticket_id}/holder", json=body, headers=other), 404, "ticket_not_found")
    assert_error(client.put(f"/api/v1/tickets/{ticket_id}/holder", json=body), 401)
    done = client.put(f"/api/v1/tickets/{ticket_id}/holder", json=body, headers=owner)
    assert done.status_code == 200, done.text
    assert done.json()["holder_name"] == "Marie Curie"
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=owner).json()["holder_name"] == "Marie Curie"
    assert_error(client.put(f"/api/v1/tickets/{ticket_id}/holder", json={"first_name": "1", "last_name": "x"},
                            headers=owner), 422)
    assert_error(client.put(f"/api/v1/tickets/{ticket_id}/holder", json={"first_name": "A"}, headers=owner), 422)


def test_holder_refused_after_the_cutoff(client: TestClient, world: World) -> None:
    owner = bearer(client, world.visitor)
    ticket_id = _ticket_id(client, owner, world.offers["solo"])  # the session starts in 1 h: past the cut-off
    assert_error(client.put(f"/api/v1/tickets/{ticket_id}/holder", json={"first_name": "Marie", "last_name": "C"},
                            headers=owner), 409, "cutoff_passed")


def test_transfer_journey_and_idor(client: TestClient, world: World, later_offers: dict, monkeypatch,
                                   tmp_path) -> None:
    owner, recipient = bearer(client, world.visitor), bearer(client, world.other)
    stranger = bearer(client, world.employee)
    ticket_id = _ticket_id(client, owner, later_offers["family"])
    with Session(world.engine) as session:
        old_ticket = session.get(Ticket, ticket_id)
        old_qr, old_payload = old_ticket.qr_id, ensure_payload(session, old_ticket)
        session.commit()
    # the recipient's account reads its mails in English, the sender's in French (each gets their own)
    assert client.patch("/api/v1/auth/me", json={"lang": "en"}, headers=recipient).json()["lang"] == "en"
    with smtp_capture(monkeypatch, tmp_path / "outbox", world.engine) as smtp:
        # someone else cannot offer my ticket
        assert_error(client.post(f"/api/v1/tickets/{ticket_id}/transfers", json={"email": world.other.email},
                                 headers=recipient), 404, "ticket_not_found")
        started = client.post(f"/api/v1/tickets/{ticket_id}/transfers",
                              json={"email": world.other.email, "lang": "fr"}, headers=owner)
        assert started.status_code == 201, started.text
        transfer = started.json()
        assert "token" not in started.text and transfer["status"] == "pending" and transfer["outgoing"]
        offer_mail = smtp.to(world.other.email)[-1]
        assert "is sending you a ticket" in offer_mail["Subject"]  # an account: its language, not the body's
        token = TOKEN_IN_LINK.search(offer_mail.get_body(("plain",)).get_content()).group(1)
        assert token not in started.text

        # the recipient sees it as incoming; a stranger sees nothing and cannot cancel it
        incoming = client.get("/api/v1/transfers", headers=recipient).json()
        assert [(t["id"], t["outgoing"]) for t in incoming] == [(transfer["id"], False)]
        assert client.get("/api/v1/transfers", headers=stranger).json() == []
        assert_error(client.delete(f"/api/v1/transfers/{transfer['id']}", headers=stranger), 404)
        assert_error(client.delete(f"/api/v1/transfers/{transfer['id']}", headers=recipient), 404)
        # only the addressee's account may accept
        assert_error(client.post("/api/v1/transfer-acceptances", json={"token": token}, headers=stranger), 403,
                     "transfer_wrong_account")
        assert_error(client.post("/api/v1/transfer-acceptances", json={"token": "x" * 43}, headers=recipient), 404)
        accepted = client.post("/api/v1/transfer-acceptances", json={"token": token, "lang": "en"}, headers=recipient)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["ticket_id"] == ticket_id
        assert any("accepté par" in m.get_body(("plain",)).get_content() for m in smtp.to(world.visitor.email))
        assert any("now yours" in m.get_body(("plain",)).get_content() for m in smtp.to(world.other.email))

    # the ticket moved: the former owner lost it, the new owner has it with a new QR
    assert_error(client.get(f"/api/v1/tickets/{ticket_id}", headers=owner), 404)
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=recipient).json()["holder_name"] == "Camille Durand"
    with Session(world.engine) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket.qr_id != old_qr and ticket.user_id == world.other.id
        ensure_payload(session, ticket)
    scan = client.post("/api/v1/scans", headers=stranger, json={"payload": old_payload, "gate": "Porte A"}).json()
    assert scan["verdict"] == "TRANSFERRED" and not scan["admitted"]
    assert_error(client.post("/api/v1/transfer-acceptances", json={"token": token}, headers=recipient), 409,
                 "transfer_closed")
    assert_error(client.delete(f"/api/v1/transfers/{transfer['id']}", headers=owner), 409, "transfer_closed")


def test_cancel_then_offer_again(client: TestClient, world: World, later_offers: dict, monkeypatch,
                                 tmp_path) -> None:
    owner = bearer(client, world.visitor)
    ticket_id = _ticket_id(client, owner, later_offers["solo"])
    with smtp_capture(monkeypatch, tmp_path / "outbox", world.engine):
        first = client.post(f"/api/v1/tickets/{ticket_id}/transfers", json={"email": world.other.email},
                            headers=owner).json()
        assert_error(client.post(f"/api/v1/tickets/{ticket_id}/transfers", json={"email": world.admin.email},
                                 headers=owner), 409, "transfer_pending")
        assert client.delete(f"/api/v1/transfers/{first['id']}", headers=owner).status_code == 204
        assert client.post(f"/api/v1/tickets/{ticket_id}/transfers", json={"email": world.admin.email},
                           headers=owner).status_code == 201
    assert_error(client.post(f"/api/v1/tickets/{ticket_id}/transfers", json={"email": "not-an-email"},
                             headers=owner), 422)


def test_openapi_documents_the_ownership_endpoints(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"put"} <= set(paths["/api/v1/tickets/{ticket_id}/holder"])
    assert {"post"} <= set(paths["/api/v1/tickets/{ticket_id}/transfers"])
    assert {"get"} <= set(paths["/api/v1/transfers"])
    assert {"delete"} <= set(paths["/api/v1/transfers/{transfer_id}"])
    assert {"post"} <= set(paths["/api/v1/transfer-acceptances"])


def test_openapi_documents_resale_and_live_qr(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"post"} <= set(paths["/api/v1/tickets/{ticket_id}/resale"])
    assert {"get"} <= set(paths["/api/v1/resale"])
    withdraw = paths["/api/v1/resale/{listing_id}"]["delete"]
    assert "listing_held" in withdraw["description"] and "409" in withdraw["responses"]
    assert {"put"} <= set(paths["/api/v1/admin/events/{event_id}/resale"])
    assert {"get"} <= set(paths["/api/v1/admin/resale"])
    assert {"get"} <= set(paths["/api/v1/tickets/{ticket_id}/live-qr.png"])
    assert {"get"} <= set(paths["/api/v1/gate/events/{event_id}/rotation-key"])
    assert {"put"} <= set(paths["/api/v1/admin/events/{event_id}/static-qr"])
    pdf = paths["/api/v1/tickets/{ticket_id}/ticket.pdf"]["get"]
    lang = next(p for p in pdf["parameters"] if p["name"] == "lang")
    assert lang["in"] == "query" and lang["schema"]["pattern"] == "^(fr|en)$"
