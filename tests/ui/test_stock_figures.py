"""The live stock's figures: public (published) events only, read from the database, minimal updates."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlmodel import Session

from jo_app.services import catalog
from jo_app.services.catalog import EventInput
from jo_app.state import stock
from jo_app.timeutil import utcnow


@pytest.fixture
def db_engine(engine, monkeypatch):
    @contextmanager
    def scope():
        with Session(engine, expire_on_commit=False) as db:
            yield db
            db.commit()

    monkeypatch.setattr(stock, "session_scope", scope)
    return engine


def _event(engine, *, capacity: int, published: bool = True, days: int = 5) -> int:
    with Session(engine) as db:
        return catalog.create_event(db, None, EventInput(
            title=f"Session {capacity}", sport="Voile", venue="Marseille", capacity=capacity, is_published=published,
            starts_at=(utcnow() + timedelta(days=days)).replace(microsecond=0)))


def test_only_published_events_are_read(db_engine) -> None:
    public = _event(db_engine, capacity=10)
    past = _event(db_engine, capacity=7, days=-2)
    hidden = _event(db_engine, capacity=20, published=False)
    assert stock.read_seats_left() == {str(public): 10, str(past): 7}
    assert stock.read_seats_left([public, hidden, 999999]) == {str(public): 10}
    assert stock.read_seats_left([]) == {}


def test_merge_sends_nothing_when_unchanged_and_drops_hidden_events() -> None:
    current = {"1": 10, "2": 5}
    assert stock._merge(current, {"1": 10}, replace=False, asked=[1]) is None
    assert stock._merge(current, {"1": 8}, replace=False, asked=[1]) == {"1": 8, "2": 5}
    assert stock._merge(current, {}, replace=False, asked=[2]) == {"1": 10}  # event 2 was unpublished
    assert stock._merge(current, {"1": 10, "2": 5}, replace=True) is None
    assert stock._merge(current, {"3": 1}, replace=True) == {"3": 1}
