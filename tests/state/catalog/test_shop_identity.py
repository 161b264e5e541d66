"""The catalogue and session pages show the identity in their own on_load (they have no `load_identity` event)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import Session

from jo_app.services.accounts import identity_cache, sessions, users
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput
from jo_app.state.catalog.shop import EventPageState, ShopState
from jo_app.timeutil import utcnow
from tests.state.conftest import make_state


@pytest.fixture
def db_engine(db_engine):
    identity_cache.clear()
    yield db_engine
    identity_cache.clear()


_state = make_state


def _load(cls, state) -> None:
    asyncio.run(cls.event_handlers["load"].fn(state))


def test_catalogue_and_session_pages_show_the_identity(db_engine) -> None:
    with Session(db_engine) as db:
        user = users.create_user(db, email="ada@example.org", password="Piste!Verte2024", first_name="Ada",
                                 last_name="B", verified=True)
        db.commit()
        token = sessions.create_session(db, user.id)
        event_id = catalog_admin.create_event(db, None, EventInput(
            title="Finale", sport="Judo", venue="Arena", capacity=40,
            starts_at=(utcnow() + timedelta(days=10)).replace(microsecond=0)))
    for cls, path in ((ShopState, "/billetterie"), (EventPageState, f"/billetterie/{event_id}")):
        page = _state(cls, f"jo_session={token}", path)
        _load(cls, page)
        assert page.is_authenticated and page.user_first_name == "Ada" and page.user_role == "visitor", cls
        anonymous = _state(cls, "", path)
        anonymous.is_authenticated, anonymous.user_first_name = True, "Stale"  # display copies of an earlier login
        _load(cls, anonymous)
        assert not anonymous.is_authenticated and anonymous.user_first_name == "", cls
