"""What schemathesis `--checks all` found (issue 11 item 6), one reproduction each: the API must do what its OpenAPI
document says. (The whole run: tests/api/test_api_fuzz.py -k checks_all.)"""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_error, bearer


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("OPTIONS", "/api/v1/admin/events", "GET, POST"),
    ("PATCH", "/api/v1/orders", "GET, POST"),
    ("OPTIONS", "/api/v1/cart", "DELETE, GET"),
    ("PATCH", "/api/v1/admin/events/1", "DELETE, PUT"),
])
def test_405_lists_every_method_of_the_path_in_allow(client, world, method, path, allowed) -> None:
    response = client.request(method, path)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == allowed


@pytest.mark.parametrize("body", [b"~\xa1a\t\xdf\xda\xb5_\xff\x01\x1a^", b"f\x0b\xdc\x84\xe1\xb9\x87\xff ", b"{"])
def test_a_body_that_is_not_json_is_422_as_documented(client, world, body) -> None:
    for path in ("/api/v1/auth/refresh", "/api/v1/auth/token"):
        response = client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert_error(response, 422, "invalid_request")


@pytest.mark.parametrize("query", ["date_to=0", "date_from=1700000000", "date_to=2030-1-1", "date_from=tomorrow"])
def test_dates_must_be_iso_dates(client, world, query) -> None:
    assert_error(client.get(f"/api/v1/events?{query}"), 422, "invalid_request")
    assert client.get("/api/v1/events?date_from=2020-01-01&date_to=2099-12-31").status_code == 200


def test_revocations_cursor_must_be_iso(client, world) -> None:
    staff = bearer(client, world.employee)
    assert_error(client.get("/api/v1/revocations?since=0", headers=staff), 422, "invalid_request")
    assert client.get("/api/v1/revocations?since=2024-07-26T19:30:00Z", headers=staff).status_code == 200


def test_json_types_are_not_coerced(client, world) -> None:
    visitor, admin = bearer(client, world.visitor), bearer(client, world.admin)
    offer = world.offers["solo"]
    assert_error(client.put(f"/api/v1/cart/items/{offer}", headers=visitor, json={"quantity": False}), 422)
    assert_error(client.post("/api/v1/cart/items", headers=visitor, json={"offer_id": str(offer), "quantity": 1}),
                 422)
    assert_error(client.post(f"/api/v1/admin/events/{world.event_id}/publish", headers=admin,
                             json={"published": 0}), 422)
    # Integral numbers written as 2.0 are integers in JSON Schema: accepted.
    assert client.post("/api/v1/cart/items", headers=visitor, json={"offer_id": offer, "quantity": 2.0}).status_code \
        in (200, 201)
    event = {"title": "T", "sport": "S", "venue": "V", "starts_at": 0, "capacity": 10}
    assert_error(client.post("/api/v1/admin/events", headers=admin, json=event), 422)
    event["starts_at"] = "2099-07-26T19:30:00+02:00"
    assert client.post("/api/v1/admin/events", headers=admin, json=event).status_code == 201


def test_register_schema_states_the_email_and_name_rules(client, world) -> None:
    spec = client.get("/api/openapi.json").json()
    properties = spec["components"]["schemas"]["RegisterRequest"]["properties"]
    assert properties["email"]["pattern"] and properties["first_name"]["minLength"] == 1
    assert properties["password"]["minLength"] == 8
    body = {"email": "", "password": "Sprint!Paris2024", "first_name": "A", "last_name": "B", "consent": True}
    assert_error(client.post("/api/v1/auth/register", json=body), 422, "invalid_request")
