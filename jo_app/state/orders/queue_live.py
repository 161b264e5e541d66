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

Big rooms: each broadcast costs CPU per socket (the Engine.IO writer and the websocket send, ~35-70 us per page,
docs/benchmarks.md). Above BIG_ROOM pages in this process, a tick that only moved the queue (`admitted_through`)
goes to the whole room at most every BIG_ROOM_SECONDS; the board always goes first, at once, to the pages whose
places this tick let in (`place` remembers which page waits at which place), so admissions are never delayed, not
even behind a whole room's broadcast; only the others' figures wait (their place and estimated wait, computed by
their browser). Any other change (pause, rate, opening, closing) goes to everyone at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import astuple

import reflex as rx
from reflex.state import StateUpdate

from jo_app.config import get_settings
from jo_app.db import session_scope
from jo_app.live import TopicSpec, delta_update, hub
from jo_app.services.errors import DomainError
from jo_app.services.orders import waiting_room
from jo_app.services.orders.waiting_room import QueueBoard

log = logging.getLogger(__name__)

PREFIX = "queue"
ADMIN_TOPIC = "onsales"  # the admin screen's figures, pushed at most once per tick
TICK_SECONDS = 1.0
# Above BIG_ROOM waiting pages of one on-sale in this process, a board that only moved the queue reaches them all
# at most every BIG_ROOM_SECONDS; waiting pages' sockets are pinged every WAITING_PING_SECONDS (Reflex: 25 s).
BIG_ROOM = get_settings().queue_big_room_pages
BIG_ROOM_SECONDS = get_settings().queue_big_room_seconds
WAITING_PING_SECONDS = get_settings().queue_ping_seconds


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
    await hub.join(sid, topic(onsale_id), leave_prefix=True, ping_every=WAITING_PING_SECONDS)
    await hub.send_snapshot(sid, topic(onsale_id))


_places: dict[int, dict[int, set[str]]] = {}  # on-sale id -> place -> the sids of this process's pages waiting there


def place(sid: str | None, onsale_id: int, position: int) -> None:
    """Remember that page `sid` waits at `position` (its board is sent to it at once when its place is let in)."""
    if sid and position > 0:
        _places.setdefault(onsale_id, {}).setdefault(position, set()).add(sid)


# --- the periodic tick ---------------------------------------------------------------------------------------------

_seen: dict[int, tuple] = {}  # on-sale id -> the numbers this process last notified (without the tick time)


def _key(board: QueueBoard) -> tuple:
    return astuple(board)[:-1]  # everything but `ticked_at`: a tick that moved nothing is not broadcast


def tick_once() -> list[QueueBoard]:
    """Tick every still-queuing on-sale (blocking); the boards whose public numbers changed since the last call."""
    changed: list[QueueBoard] = []
    with session_scope() as session:
        for onsale_id in waiting_room.active_onsales(session):
            try:
                waiting_room.tick_if_stale(session, onsale_id, seconds=TICK_SECONDS * 0.9)
                board = waiting_room.board(session, onsale_id)
            except DomainError:
                continue
            if _seen.get(onsale_id) != _key(board):
                _seen[onsale_id] = _key(board)
                changed.append(board)
    return changed


_whole: dict[int, tuple[float, tuple]] = {}  # on-sale id -> (monotonic time, numbers) of its last whole-room board
_told: dict[int, int] = {}  # on-sale id -> the highest `admitted_through` sent to some page of this process
_behind: set[int] = set()  # big rooms whose last move reached only the pages it let in


def _numbers(board: QueueBoard) -> tuple:
    return board.rate_per_minute, board.paused, board.opened, board.closed, board.opens_at


def announce(board: QueueBoard) -> None:
    """Send a changed board (on the loop): first to the pages this tick let in (their turn came: they do not wait
    behind a whole room's broadcast), then to the whole room, unless, in a big room, only the queue moved and the
    room had a board less than BIG_ROOM_SECONDS ago."""
    onsale_id, name, now = board.onsale_id, topic(board.onsale_id), time.monotonic()
    last = _whole.get(onsale_id)
    let_in = _take(onsale_id, _told.get(onsale_id, 0), board.admitted_through)
    _told[onsale_id] = max(_told.get(onsale_id, 0), board.admitted_through)
    if let_in:
        hub.send_to(name, delta_update(QueueLiveState.get_full_name(), board_values(board)), let_in)
    if (board.closed or hub.pages(name) <= BIG_ROOM or last is None or last[1] != _numbers(board)
            or now - last[0] >= BIG_ROOM_SECONDS):
        hub.notify(name, relay=False)  # each process ticks (and pushes) for its own rooms
        _whole[onsale_id] = (now, _numbers(board))
        _behind.discard(onsale_id)
        if board.closed:
            _places.pop(onsale_id, None)
        return
    _behind.add(onsale_id)


def catch_up() -> None:
    """The whole room of a big room that missed the queue's last move gets it BIG_ROOM_SECONDS after the last
    whole-room board, even if the queue has not moved since."""
    now = time.monotonic()
    for onsale_id in list(_behind):
        last = _whole.get(onsale_id)
        if last is not None and now - last[0] >= BIG_ROOM_SECONDS:
            _behind.discard(onsale_id)
            _whole[onsale_id] = (now, last[1])
            hub.notify(topic(onsale_id), relay=False)


def _take(onsale_id: int, low: int, high: int) -> list[str]:
    """The pages of places low+1..high (forgotten: let in now)."""
    places = _places.get(onsale_id)
    if not places or high <= low:
        return []
    sids: list[str] = []
    for position in range(low + 1, high + 1) if high - low <= len(places) else list(places):
        if low < position <= high:
            sids.extend(places.pop(position, ()))
    return sids


async def tick_forever() -> None:
    """Lifespan task: tick, push the changed boards to this process's rooms, sleep; errors are logged."""
    while True:
        await asyncio.sleep(TICK_SECONDS)
        try:
            for board in await asyncio.to_thread(tick_once):
                announce(board)
            catch_up()
            hub.notify(ADMIN_TOPIC, relay=False)  # read only if an admin screen is open here
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("waiting-room tick failed")
