"""Garbage-collector pauses of the app process: measured, logged, and kept short while thousands of pages are open.

A full (generation 2) collection stops the whole process while it walks every tracked object. With thousands of
open pages (each a tree of Reflex states, its socket, its queues) that is seconds, during which no push goes out
and no handler runs. CPython starts one whenever the objects promoted to the old generation since the last one
exceed a quarter of its survivors, and promotions count every object that lived through two young collections,
including the many that die a moment later: measured with 6,000 waiting pages opening, a full collection every
~7 s, each stopping the process 1.1-2.3 s; with 15,000-20,000, every 16-24 s, each 3-6.4 s.

Policy (`install(freeze_after=...)`, setting GC_FREEZE_AFTER_MS, 200 ms by default): the survivors of a full
collection that stopped the process longer than that are frozen (`gc.freeze`): later collections walk only what
was created since, so their cost follows the recent traffic, not the number of pages open. A small process (a
shop serving orders) never reaches the threshold and keeps CPython's policy untouched (freezing after every full
collection made UI orders ~1 ms of web CPU dearer, docs/benchmarks.md). What was frozen is
walked again (1) when pages leave (`thaw_and_collect`, called once per wave of departures by `reclaim`), where the
reference cycles of the states of the pages that left must be found, and (2) by the next full collection once the
frozen heap has doubled since the last whole walk (`THAW_GROWTH`): garbage that was frozen while alive (a socket
closed later, with Redis states where `reclaim` does not run) is found within one doubling, at one whole walk per
doubling instead of one per quarter.

Every collection longer than `WARN_SECONDS` is logged (generation, duration, objects collected) and counted in
`stats`, so that a latency outlier can be matched with a collection in the server log.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)

WARN_SECONDS = 0.1
stats: dict[str, float] = {"full": 0, "full_seconds": 0.0, "longest": 0.0, "slow": 0, "thawed": 0}
_started: list[float] = []
_freeze_after: float | None = None  # seconds a full collection must last for its survivors to be frozen (None: never)
THAW_GROWTH = 2.0  # the next full collection walks everything once the frozen heap grew this much since the last
_walked = {"all": True, "frozen_after": 0}  # whether the running collection walks everything; the frozen count then


def _on_collection(phase: str, info: dict) -> None:
    if phase == "start":
        _started.append(time.perf_counter())
        return
    if not _started:
        return
    took = time.perf_counter() - _started.pop()
    generation = info.get("generation", -1)
    if generation == 2:
        stats["full"] += 1
        stats["full_seconds"] += took
        if _freeze_after is not None and took >= _freeze_after:
            _freeze()
    stats["longest"] = max(stats["longest"], took)
    if took >= WARN_SECONDS:
        stats["slow"] += 1
        log.warning("garbage collection of generation %s stopped the process %.0f ms (%s objects collected)",
                    generation, took * 1000, info.get("collected"))


def _freeze() -> None:
    """After a full collection: freeze its survivors (now all in the old generation); thaw everything instead when
    the frozen heap doubled since the last whole walk, so that the next full collection walks it all."""
    gc.freeze()
    frozen = gc.get_freeze_count()
    if _walked["all"]:
        _walked.update(all=False, frozen_after=frozen)
    elif frozen >= THAW_GROWTH * max(_walked["frozen_after"], 1):
        gc.unfreeze()
        _walked["all"] = True
        stats["thawed"] += 1


def install(*, freeze_after: float | None = 0.2) -> bool:
    """Measure every collection of this process from now on and freeze the survivors of each full collection that
    lasted `freeze_after` seconds or more (0: every one; None: never) (idempotent). Returns whether the callback was
    installed now."""
    global _freeze_after
    _freeze_after = freeze_after
    if _on_collection in gc.callbacks:
        return False
    gc.callbacks.append(_on_collection)
    return True


def thaw_and_collect() -> int:
    """One full collection over the whole heap, frozen objects included (the cycles of pages that left may have
    been frozen while they were open); with the policy on, its survivors are frozen again, however quick the walk
    was (the startup heap, frozen at start, stays out of later collections). Returns the objects collected."""
    if _freeze_after is None or not gc.get_freeze_count():
        return gc.collect()
    gc.unfreeze()
    _walked["all"] = True
    stats["thawed"] += 1
    found = gc.collect()
    gc.freeze()  # what the whole walk kept, as `freeze_startup_heap` does (a no-op if the callback froze it)
    return found
