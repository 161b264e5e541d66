"""jo_app.live.reclaim.release_memory: the reference cycles a closed page leaves are collected at the sweep, not left
to CPython's thresholds (they kept 100+ MB of 500 closed pages in RSS for minutes)."""

from __future__ import annotations

import gc

from jo_app.live import reclaim


class _Page:
    def __init__(self) -> None:
        self.me = self  # a cycle: only a collection frees it
        self.payload = bytearray(1024)


def test_release_memory_collects_the_cycles_of_pages_that_left() -> None:
    gc.disable()  # no automatic collection during the test: only release_memory can free them
    try:
        for _ in range(200):
            _Page()
        before = reclaim.stats["collected"]
        found = reclaim.release_memory()
        assert found >= 200 and reclaim.stats["collected"] - before == found
        assert not any(isinstance(obj, _Page) for obj in gc.get_objects())
    finally:
        gc.enable()


def test_a_whole_walk_waits_for_a_fair_share_of_the_open_pages_to_leave() -> None:
    """A collection walks every open page: 100 pages leaving a room of 20,000 do not stop the process for it."""
    assert not reclaim.release_due(99, 0)
    assert reclaim.release_due(100, 0) and reclaim.release_due(100, 400)
    assert not reclaim.release_due(100, 20_000) and not reclaim.release_due(4_999, 20_000)
    assert reclaim.release_due(5_000, 20_000)
