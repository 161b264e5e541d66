"""/admin/revente handlers called as any websocket client could: only an administrator (checked in the database)
reads or changes the per-session resale and static-QR settings."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import Session

from jo_app.models import Event, Role
from jo_app.services.accounts import sessions, users
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput
from jo_app.state.tickets.admin import AdminOwnershipState, fee_bps
from jo_app.timeutil import utcnow
from tests.state.conftest import make_state


def _login(engine, role: Role) -> str:
    with Session(engine) as db:
        user = users.create_user(db, email=f"{role.value}@example.org", password="Piste!Verte2024",
                                 first_name="A", last_name="B", role=role, verified=True)
        db.commit()
        return sessions.create_session(db, user.id)


def _state(cookie: str) -> AdminOwnershipState:
    return make_state(AdminOwnershipState, cookie, "/admin/revente")


def _run(state, name: str, *args) -> None:
    asyncio.run(AdminOwnershipState.event_handlers[name].fn(state, *args))


def test_only_an_admin_reads_and_changes_the_settings(db_engine) -> None:
    with Session(db_engine) as db:
        event_id = catalog_admin.create_event(db, None, EventInput(title="Finale", sport="Judo", venue="Arena",
                                                                   capacity=10, starts_at=utcnow() + timedelta(days=2)))
    form = {"event_id": str(event_id), "resale": "on", "fee_pct": "2,5"}  # static_qr unchecked: refused
    for cookie in ("", "jo_session=forged", f"jo_session={_login(db_engine, Role.EMPLOYEE)}"):
        state = _state(cookie)
        _run(state, "load")
        _run(state, "save", form)
        assert state.sessions == [] and state.access == "denied"
    with Session(db_engine) as db:
        event = db.get(Event, event_id)
        assert (event.resale_enabled, event.static_qr_enabled) == (False, True)

    admin = _state(f"jo_session={_login(db_engine, Role.ADMIN)}")
    _run(admin, "load")
    assert [row["id"] for row in admin.sessions] == [event_id] and admin.figures["sold"] == 0
    _run(admin, "save", form)
    assert admin.message == "msg.admin.own_saved"
    with Session(db_engine) as db:
        event = db.get(Event, event_id)
        assert (event.resale_enabled, event.resale_fee_bps, event.static_qr_enabled) == (True, 250, False)
    _run(admin, "save", {**form, "fee_pct": "80"})
    assert admin.error == "err.own_fee"


@pytest.mark.parametrize("text,expected", [("", 0), ("5", 500), ("2,5", 250), ("50", 5000), ("50.5", None),
                                           ("-1", None), ("abc", None)])
def test_fee_parsing(text: str, expected: int | None) -> None:
    assert fee_bps(text) == expected
