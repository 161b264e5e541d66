"""The app's periodic hold sweep: releases expired holds off the event loop and pushes the freed seats."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.models import Event, SeatHold
from jo_app.services.orders import cart
from jo_app.state.orders import hold_sweep
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_user


def test_periodic_sweep_releases_expired_holds_and_publishes(db_engine, monkeypatch) -> None:
    engine = db_engine
    with Session(engine) as db:
        event = make_event(db, capacity=10, starts_at=utcnow() + timedelta(days=2))
        offer = make_offer(db, event, offer_type="duo")
        buyer = make_user(db)
        db.commit()
        event_id, offer_id, buyer_id = event.id, offer.id, buyer.id
        cart.add_item(db, buyer_id, offer_id, 2)
        db.exec(update(SeatHold).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    pushed: list[str] = []

    monkeypatch.setattr(hold_sweep, "notify", pushed.append)
    settings = get_settings().model_copy(update={"hold_sweep_seconds": 1})
    monkeypatch.setattr(hold_sweep, "get_settings", lambda: settings)

    async def run_for_a_while() -> None:
        task = asyncio.create_task(hold_sweep.sweep_forever())
        await asyncio.sleep(2.5)
        task.cancel()

    asyncio.run(run_for_a_while())
    assert pushed == ["stock"]  # once: the second sweep found nothing to release
    with Session(engine) as db:
        assert db.get(Event, event_id).seats_held == 0
