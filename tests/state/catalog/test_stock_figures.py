"""The live stock's figures: public (published) events only, read from the database, sent as one Reflex delta."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput
from jo_app.state.catalog import stock
from jo_app.timeutil import utcnow


def _event(engine, *, capacity: int, published: bool = True, days: int = 5) -> int:
    with Session(engine) as db:
        return catalog_admin.create_event(db, None, EventInput(
            title=f"Session {capacity}", sport="Voile", venue="Marseille", capacity=capacity, is_published=published,
            starts_at=(utcnow() + timedelta(days=days)).replace(microsecond=0)))


def test_only_published_events_are_read(db_engine) -> None:
    public = _event(db_engine, capacity=10)
    past = _event(db_engine, capacity=7, days=-2)
    _hidden = _event(db_engine, capacity=20, published=False)
    assert stock.read_seats_left() == {str(public): 10, str(past): 7}


def test_the_pushed_update_is_one_reflex_delta_of_the_stock_state(db_engine) -> None:
    public = _event(db_engine, capacity=10)
    update = stock._stock_update("stock")
    assert update.delta == {stock.StockState.get_full_name(): {"seats_left_rx_state_": {str(public): 10}}}
    assert update.events == []
