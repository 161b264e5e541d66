"""Garbage-collector pauses of the app process, measured and logged.

A full (generation 2) collection stops the whole process while it walks every tracked object: with thousands of open
pages (each a tree of Reflex states) that is seconds, during which no push goes out and no handler runs. CPython
starts one by itself when the objects promoted since the last one exceed a quarter of the old generation, so a
process that keeps growing (pages arriving) meets them at growing sizes. Every collection longer than
`WARN_SECONDS` is logged (generation, duration, objects collected) and counted in `stats`, so that a latency
outlier can be matched with a collection in the server log.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)

WARN_SECONDS = 0.1
stats: dict[str, float] = {"full": 0, "full_seconds": 0.0, "longest": 0.0, "slow": 0}
_started: list[float] = []


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
    stats["longest"] = max(stats["longest"], took)
    if took >= WARN_SECONDS:
        stats["slow"] += 1
        log.warning("garbage collection of generation %s stopped the process %.0f ms (%s objects collected)",
                    generation, took * 1000, info.get("collected"))


def install() -> bool:
    """Measure every collection of this process from now on (idempotent). Returns whether it was installed now."""
    if _on_collection in gc.callbacks:
        return False
    gc.callbacks.append(_on_collection)
    return True
