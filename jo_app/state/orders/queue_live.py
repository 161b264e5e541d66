"""The live queue: one broadcast per tick and per process moves every waiting page of an on-sale.

A waiting page (`QueueState.load`) joins the live room `queue:<on-sale id>` (jo_app.live). Its visitor's own place
is loaded once (`QueueState.position`); the room only receives the on-sale's public numbers (`QueueBoard`: places
let in so far, rate, paused, opened, closed, time of the tick), the same message for everyone, encoded once by
socket.io. Each browser then computes its own people ahead and estimated wait (Var arithmetic in
pages/orders/queue.py, no server state per visitor). When a page sees its place let in, it asks the server for its
pass (`QueueState.admit`, which checks the place in the database: a forged call gets nothing early).

`tick_forever` (a lifespan task of every worker) ticks each still-queuing on-sale about once a second
(`waiting_room.tick_if_stale`: one worker really ticks, the others only read) and notifies the room in this process
when its numbers changed. Admin changes (rate, pause, resume, close) announce `OnSaleChanged`, which
notifies all processes through the relay (jo_app.wiring).
The server-side copy of `QueueLiveState` stays at its defaults: the numbers only go to the browsers.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import astuple

import reflex as rx
from reflex.state import StateUpdate

from jo_app.db import session_scope
from jo_app.live import TopicSpec, delta_update, hub
from jo_app.services.errors import DomainError
from jo_app.services.orders import waiting_room
from jo_app.services.orders.waiting_room import QueueBoard

log = logging.getLogger(__name__)

PREFIX = "queue"
ADMIN_TOPIC = "onsales"  # the admin screen's figures, pushed at most once per tick
TICK_SECONDS = 1.0


def topic(onsale_id: int) -> str:
    return f"{PREFIX}:{int(onsale_id)}"


class QueueLiveState(rx.State):
    """The public numbers of the on-sale whose room this page is in (pushed; defaults on the server)."""

    live_onsale_id: int = 0
    admitted_through: int = 0
    rate: int = 1
    paused: bool = False
    opened: bool = False
    closed: bool = False
    ticked_at: float = 0.0  # unix seconds of the tick that produced these numbers (latency measurements)


def read_board(onsale_id: int) -> QueueBoard | None:
    """The on-sale's public numbers from the database (blocking), None if it does not exist."""
    with session_scope() as session:
        try:
            return waiting_room.board(session, onsale_id)
        except DomainError:
            return None


def board_values(board: QueueBoard) -> dict[str, object]:
    return {"live_onsale_id": board.onsale_id, "admitted_through": board.admitted_through,
            "rate": board.rate_per_minute, "paused": board.paused, "opened": board.opened, "closed": board.closed,
            "ticked_at": board.ticked_at}


def _board_update(name: str) -> StateUpdate | None:
    raw = name.partition(":")[2]
    board = read_board(int(raw)) if raw.isdigit() else None
    if board is None:
        return None
    return delta_update(QueueLiveState.get_full_name(), board_values(board))


hub.register(PREFIX, TopicSpec(_board_update, interval=0.2))


async def link(sid: str | None, onsale_id: int) -> None:
    """Put a waiting page in its on-sale's room (leaving any other queue room) and send it the numbers now."""
    await hub.join(sid, topic(onsale_id), leave_prefix=True)
    await hub.send_snapshot(sid, topic(onsale_id))


# --- the periodic tick ---------------------------------------------------------------------------------------------

_seen: dict[int, tuple] = {}  # on-sale id -> the numbers this process last notified (without the tick time)


def _key(board: QueueBoard) -> tuple:
    return astuple(board)[:-1]  # everything but `ticked_at`: a tick that moved nothing is not broadcast


def tick_once() -> list[int]:
    """Tick every still-queuing on-sale (blocking); the ids whose public numbers changed since the last call."""
    changed: list[int] = []
    with session_scope() as session:
        for onsale_id in waiting_room.active_onsales(session):
            try:
                waiting_room.tick_if_stale(session, onsale_id, seconds=TICK_SECONDS * 0.9)
                board = waiting_room.board(session, onsale_id)
            except DomainError:
                continue
            if _seen.get(onsale_id) != _key(board):
                _seen[onsale_id] = _key(board)
                changed.append(onsale_id)
    return changed


async def tick_forever() -> None:
    """Lifespan task: tick, push the changed boards to this process's rooms, sleep; errors are logged."""
    while True:
        await asyncio.sleep(TICK_SECONDS)
        try:
            changed = await asyncio.to_thread(tick_once)
            for onsale_id in changed:
                hub.notify(topic(onsale_id), relay=False)  # each process ticks (and pushes) for its own rooms
            hub.notify(ADMIN_TOPIC, relay=False)  # read only if an admin screen is open here
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("waiting-room tick failed")
