"""Races of real database connections for the concurrency tests: each job runs in its own thread and session."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session


def race(engine: Engine, jobs: list[Callable[[Session], object]], *,
         catch: type[BaseException] = Exception, connect_first: bool = False, timeout: float = 180) -> list[object]:
    """Run each `job(session)` in its own thread, released together by a barrier (`connect_first`: each thread
    holds its connection before it, when the pool has room for all). Returns each result, or the `catch` exception
    it raised (for the test to check every outcome); fails on a hung thread."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def worker(index: int, job: Callable[[Session], object]) -> None:
        with Session(engine, expire_on_commit=False) as session:
            if connect_first:
                session.connection()
            barrier.wait(timeout=60)
            try:
                results[index] = job(session)
            except catch as exc:
                results[index] = exc

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a racing thread hung"
    return results
