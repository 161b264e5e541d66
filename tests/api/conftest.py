"""Fixtures for the HTTP API tests: the FastAPI app wrapped like in production (security middleware outside, CORS
as Reflex adds it from rxconfig), on the `engine` fixture's database (SQLite and PostgreSQL), and a small world
of users, an event (starting in one hour: on sale and inside the gate window) and its three offers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.middleware.cors import CORSMiddleware

from jo_app.api import ratelimit
from jo_app.api.app import api
from jo_app.api.deps import get_db_engine
from jo_app.config import get_settings
from jo_app.models import Role
from jo_app.services.accounts import users
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.services.tickets import signing
from jo_app.timeutil import utcnow
from jo_app.web.security import security_middleware

PASSWORD = "Sprint!Paris2024"
CARD = {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2039, "cvc": "123", "holder": "C D"}
# Generous limits by default; the rate-limit tests lower them explicitly.
for _name in ("RATE_LIMIT_LOGIN", "RATE_LIMIT_REGISTER", "RATE_LIMIT_ORDERS", "RATE_LIMIT_SCANS"):
    os.environ.setdefault(_name, "100000/minute")
get_settings.cache_clear()


def production_stack():
    """`api` + CORS exactly as Reflex adds it (rxconfig's cors_allowed_origins) + our middleware outside."""
    from reflex.config import get_config

    inner = CORSMiddleware(api, allow_credentials=True, allow_methods=["*"], allow_headers=["*"],
                           allow_origins=list(get_config().cors_allowed_origins))
    return security_middleware(inner)


@dataclass
class Account:
    id: int
    email: str
    password: str = PASSWORD


@dataclass
class World:
    engine: Engine
    visitor: Account
    other: Account
    employee: Account
    admin: Account
    event_id: int
    other_event_id: int
    offers: dict[str, int]


def make_account(session: Session, role: Role = Role.VISITOR) -> Account:
    email = f"u{uuid.uuid4().hex[:10]}@example.org"
    user = users.create_user(session, email=email, password=PASSWORD, first_name="Camille", last_name="Durand",
                             role=role, verified=True)
    session.commit()
    return Account(int(user.id), email)


def make_event(session: Session, title: str = "Finale 100 m", capacity: int = 100, hours: float = 1.0) -> int:
    return catalog_admin.create_event(session, None, EventInput(
        title=title, sport="Athlétisme", venue="Stade de France", starts_at=utcnow() + timedelta(hours=hours),
        capacity=capacity))


def make_offers(session: Session, event_id: int) -> dict[str, int]:
    prices = {"solo": 5000, "duo": 9000, "family": 16000}
    return {kind: catalog_admin.create_offer(session, None, OfferInput(event_id=event_id, title=kind.title(),
                                                                  offer_type=kind, price_cents=price))
            for kind, price in prices.items()}


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def build_world(engine: Engine) -> World:
    signing.clear_cache()
    with Session(engine, expire_on_commit=False) as session:
        visitor, other = make_account(session), make_account(session)
        employee, admin = make_account(session, Role.EMPLOYEE), make_account(session, Role.ADMIN)
        event_id = make_event(session)
        offers = make_offers(session, event_id)
        other_event_id = make_event(session, "Demi-finale 200 m", hours=2)
        make_offers(session, other_event_id)
    return World(engine, visitor, other, employee, admin, event_id, other_event_id, offers)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    ratelimit.reset()
    api.dependency_overrides[get_db_engine] = lambda: engine
    try:
        with TestClient(production_stack(), base_url="http://localhost:3000",
                        raise_server_exceptions=False) as test_client:
            yield test_client
    finally:
        api.dependency_overrides.pop(get_db_engine, None)
        ratelimit.reset()


def token_for(client: TestClient, account: Account) -> dict:
    response = client.post("/api/v1/auth/token", json={"email": account.email, "password": account.password})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(client: TestClient, account: Account) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(client, account)['access_token']}"}


def buy(client: TestClient, headers: dict[str, str], offer_id: int, quantity: int = 1, key: str | None = None) -> dict:
    response = client.post("/api/v1/orders", headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
                           json={"card": CARD, "items": [{"offer_id": offer_id, "quantity": quantity}],
                                 "send_confirmation": False})
    assert response.status_code == 201, response.text
    return response.json()


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"]["code"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]
