"""The in-process periodic sweep of expired seat holds (a lifespan task of every server worker).

Every `hold_sweep_seconds` it releases the expired holds (`services.orders.holds.sweep`, off the event loop; rows being
paid or changed are skipped) and, when seats were freed, pushes the seats left to the open shop pages
(`jo_app.live.notify("stock")`). Several workers
sweeping at once are harmless: each hold row is released by exactly one of them.
"""

from __future__ import annotations

import asyncio
import logging

from jo_app.config import get_settings
from jo_app.db import session_scope
from jo_app.live import notify
from jo_app.services.orders import holds
from jo_app.services.tickets import resale_holds

log = logging.getLogger(__name__)


def sweep_once() -> dict[int, int]:
    """Release every expired hold, seats and resale listings (blocking); seats freed per event id."""
    with session_scope() as session:
        freed = holds.sweep(session)
        for event_id, persons in resale_holds.sweep_expired(session).items():
            freed[event_id] = freed.get(event_id, 0) + persons
        return freed


async def sweep_forever() -> None:
    """The lifespan task: sweep, publish, sleep; errors are logged and the loop goes on."""
    interval = max(1, get_settings().hold_sweep_seconds)
    while True:
        await asyncio.sleep(interval)
        try:
            freed = await asyncio.to_thread(sweep_once)
            if freed:
                log.info("released expired holds: %s", freed)
                notify("stock")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("hold sweep failed")
