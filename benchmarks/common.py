"""Shared helpers for benchmarks (and test fixtures): a throw-away PostgreSQL database and fast data seeding.

- `temp_database()`: creates `jo_bench_<random>` on the server, creates the tables, yields an engine, drops it.
- `make_user`, `make_event`, `make_offer`, `make_order`, `make_ticket`, `bulk_tickets`: the test factories
  (tests/factories.py), re-exported for the benchmarks.
- `percentile`, `timed`: small measuring helpers; `drive`: concurrent workers (threads, optionally in several
  client processes) over a list of work items.
"""

from __future__ import annotations

import math
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

import jo_app.models  # noqa: F401  (registers the tables)
from jo_app.db import make_engine
from tests.factories import (  # noqa: F401  (re-exported: the benchmarks seed with the test factories)
    bulk_tickets,
    make_event,
    make_offer,
    make_order,
    make_ticket,
    make_user,
)

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def temp_database(admin_url: str | None = None, *, prefix: str = "jo_bench", pool_size: int = 20,
                  max_overflow: int = 20) -> Iterator[Engine]:
    """A fresh PostgreSQL database with every table, dropped afterwards (even on error)."""
    admin_url = admin_url or os.environ.get("BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    try:
        SQLModel.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


@contextmanager
def timed() -> Iterator[list[float]]:
    """`with timed() as t: ...` then `t[0]` is the elapsed seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def _drive_threads(engine: Engine, items: Sequence, threads: int, call: Callable[[Session, object], str]) -> dict:
    lock = threading.Lock()
    cursor = iter(range(len(items)))
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads + 1)

    def worker() -> None:
        mine: list[float] = []
        seen: Counter[str] = Counter()
        try:
            with Session(engine, expire_on_commit=False) as session:
                barrier.wait()
                while True:
                    with lock:
                        index = next(cursor, None)
                    if index is None:
                        break
                    start = time.perf_counter()
                    outcome = call(session, items[index])
                    mine.append(time.perf_counter() - start)
                    seen[outcome] += 1
        except BaseException as exc:
            errors.append(exc)
        with lock:
            latencies.extend(mine)
            outcomes.update(seen)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    begin = time.perf_counter()
    for thread in pool:
        thread.join()
    end = time.perf_counter()
    if errors:
        raise errors[0]
    return {"begin": begin, "end": end, "latencies": latencies, "outcomes": dict(outcomes)}


def _drive_shard(url: str, items: Sequence, threads: int, call, start_barrier, results) -> None:
    engine = make_engine(url, pool_size=threads + 2, max_overflow=2)
    start_barrier.wait()
    try:
        results.put(_drive_threads(engine, items, threads, call))
    except BaseException as exc:  # reported by the parent
        results.put({"error": repr(exc)})
    finally:
        engine.dispose()


def drive(engine: Engine, items: Sequence, *, threads: int, processes: int = 1,
          call: Callable[[Session, object], str]) -> dict:
    """Run `call(session, item) -> outcome label` over `items` with `threads` concurrent workers (each with its own
    Session and connection, like app workers or gate devices), spread over `processes` client processes (forked:
    a real deployment runs several app processes, so the clients' own GIL stays out of the figure).
    Returns {"elapsed": first start to last finish, "latencies": seconds per call, "outcomes": Counter}."""
    if processes <= 1:
        run = _drive_threads(engine, items, threads, call)
        parts = [run]
    else:
        import multiprocessing

        engine.dispose()  # no pooled connection may cross the fork
        context = multiprocessing.get_context("fork")
        start_barrier, results = context.Barrier(processes), context.Queue()
        url = engine.url.render_as_string(hide_password=False)
        per = [threads // processes + (1 if i < threads % processes else 0) for i in range(processes)]
        workers = [context.Process(target=_drive_shard, args=(url, items[i::processes], n, call, start_barrier,
                                                              results)) for i, n in enumerate(per)]
        for worker in workers:
            worker.start()
        parts = [results.get(timeout=600) for _ in workers]
        for worker in workers:
            worker.join()
        failed = [p["error"] for p in parts if "error" in p]
        if failed:
            raise RuntimeError(f"a client process failed: {failed[0]}")
    outcomes: Counter[str] = Counter()
    for part in parts:
        outcomes.update(part["outcomes"])
    return {"elapsed": max(p["end"] for p in parts) - min(p["begin"] for p in parts),
            "latencies": [x for p in parts for x in p["latencies"]], "outcomes": outcomes}
