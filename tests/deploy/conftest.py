"""Deployment tests: helpers for throw-away PostgreSQL databases and a small shop made through the services.

- `pg_database()` (fixture, factory): `make(prefix, migrate=False) -> url` creates a fresh database on the
  server of TEST_POSTGRES_URL (tables via `python -m jo_app.cli migrate` or `SQLModel.metadata.create_all`) and
  drops every database it made at the end of the test.
- `build_shop(engine, ...)`: an event, a duo offer, visitors who bought through cart.add_item + checkout.checkout
  (card 4242 4242 4242 4242), and an employee; returns a `Shop` with the ids.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

from jo_app.db import make_engine
from jo_app.models import Event, Offer, Role
from jo_app.services import payment
from jo_app.services.accounts import users
from jo_app.services.orders import cart, checkout
from jo_app.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CARD = payment.PaymentCard(number="4242424242424242", exp_month=12, exp_year=utcnow().year + 3, cvc="123",
                           holder="Camille Durand")
PASSWORD = "Sprint!Paris2024"


def admin_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG)


def drop_database(name: str) -> None:
    admin = make_engine(admin_url(), isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()


def app_env(**extra: str) -> dict[str, str]:
    """Environment for a child process of the app (CLI, scripts, servers)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    env.pop("REFLEX_REDIS_URL", None)
    return env


@pytest.fixture
def pg_database() -> Iterator[Callable[..., str]]:
    made: list[str] = []
    admin = make_engine(admin_url(), isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)

    def make(prefix: str = "jo_deploy", *, tables: str | None = None) -> str:
        """tables: None (empty database), "migrate" (the CLI migration) or "create_all"."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        url = make_url(admin_url()).set(database=name).render_as_string(hide_password=False)
        if tables == "migrate":
            subprocess.run([sys.executable, "-m", "jo_app.cli", "migrate"], cwd=ROOT, check=True,
                           env=app_env(DATABASE_URL=url), capture_output=True, timeout=120)
        elif tables == "create_all":
            engine = make_engine(url, pool_size=1, max_overflow=0)
            SQLModel.metadata.create_all(engine)
            engine.dispose()
        return url

    yield make
    admin.dispose()
    for name in made:
        drop_database(name)


@dataclass
class Shop:
    event_id: int
    offer_id: int
    employee_id: int
    visitor_ids: list[int] = field(default_factory=list)
    order_ids: list[int] = field(default_factory=list)
    ticket_ids: list[int] = field(default_factory=list)


def add_event(session: Session, *, capacity: int = 500, hours_ahead: int = 2, persons: int = 2,
              price_cents: int = 9000) -> tuple[int, int]:
    """One published event starting in `hours_ahead` hours with one published offer; commits."""
    event = Event(slug=f"finale-{uuid.uuid4().hex[:8]}", sport="Athletics", title="Athletics - 100m Final",
                  venue="Stade de France", city="Saint-Denis", starts_at=utcnow() + timedelta(hours=hours_ahead),
                  capacity=capacity)
    session.add(event)
    session.flush()
    offer_type = {1: "solo", 2: "duo", 4: "family"}[persons]
    offer = Offer(event_id=event.id, title=offer_type.title(), offer_type=offer_type, persons=persons,
                  price_cents=price_cents)
    session.add(offer)
    session.commit()
    return int(event.id), int(offer.id)


def add_visitor(session: Session, label: str = "") -> int:
    user = users.create_user(session, email=f"visitor-{label}{uuid.uuid4().hex[:8]}@example.org",
                             password=PASSWORD, first_name="Camille", last_name="Durand", verified=True)
    session.commit()
    return int(user.id)


def buy(session: Session, user_id: int, offer_id: int, quantity: int = 1) -> checkout.CheckoutResult:
    cart.add_item(session, user_id, offer_id, quantity)
    session.commit()
    return checkout.checkout(session, user_id, CARD, idempotency_key=uuid.uuid4().hex)


def build_shop(engine: Engine, *, visitors: int = 3, orders_each: int = 2) -> Shop:
    with Session(engine, expire_on_commit=False) as session:
        event_id, offer_id = add_event(session)
        employee = users.create_user(session, email=f"gate-{uuid.uuid4().hex[:8]}@example.org",
                                     password=PASSWORD, first_name="Gate", last_name="Keeper",
                                     role=Role.EMPLOYEE, verified=True)
        session.commit()
        shop = Shop(event_id=event_id, offer_id=offer_id, employee_id=int(employee.id))
        for index in range(visitors):
            user_id = add_visitor(session, f"{index}-")
            shop.visitor_ids.append(user_id)
            for quantity in range(1, orders_each + 1):
                result = buy(session, user_id, offer_id, quantity)
                shop.order_ids.append(result.order_id)
                shop.ticket_ids.extend(result.ticket_ids)
        return shop
