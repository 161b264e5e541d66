"""Worker start-up: the hot endpoints' first requests cost what the next ones do.

Run once per server worker (a Reflex lifespan task), in the background: the worker serves meanwhile. It opens as
many pooled database connections as the API has worker threads (`offload.MAX_THREADS`), each held at the same
time so that they are distinct, and on each one runs the bearer-session lookup and the gate's lookup statements
for ids that cannot exist (`gate.warm_up`: nothing is written). Best effort: a database that is not reachable yet
only leaves the first requests slower (logged).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import ExitStack

from sqlalchemy.engine import Engine
from sqlmodel import Session

from jo_app.api.deps import bearer_session_row
from jo_app.api.offload import MAX_THREADS
from jo_app.db import get_engine
from jo_app.services.gate import admission as gate

log = logging.getLogger(__name__)


def warm_up(engine: Engine, connections: int = MAX_THREADS) -> int:
    """Warm `connections` pooled connections of `engine`; returns how many were warmed."""
    with ExitStack() as stack:
        sessions = [stack.enter_context(Session(engine)) for _ in range(connections)]
        for session in sessions:
            session.connection()  # check out now: the sessions hold distinct connections
        for session in sessions:
            bearer_session_row(session, 0)
            gate.warm_up(session)
    return len(sessions)


async def warm_up_worker() -> None:
    """The lifespan task: `warm_up` on the configured database, off the event loop."""
    try:
        count = await asyncio.to_thread(warm_up, get_engine())
        log.info("warmed %d database connections", count)
    except Exception:  # start-up must not fail on it
        log.warning("worker warm-up failed; the first requests will be slower", exc_info=True)
