"""Collections of the app process are measured; a long one is logged (to match latency outliers with it)."""

from __future__ import annotations

import gc
import logging

import pytest

from jo_app.live import gc_pauses


@pytest.fixture(autouse=True)
def _measured(monkeypatch: pytest.MonkeyPatch):
    """Fresh counters; the collector's callback removed after the test (gc.callbacks is the interpreter's list)."""
    monkeypatch.setattr(gc_pauses, "stats", dict.fromkeys(gc_pauses.stats, 0))
    installed = gc_pauses._on_collection in gc.callbacks
    yield
    if not installed and gc_pauses._on_collection in gc.callbacks:
        gc.callbacks.remove(gc_pauses._on_collection)


def test_a_full_collection_is_counted_and_a_slow_one_logged(monkeypatch: pytest.MonkeyPatch,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    if gc_pauses._on_collection in gc.callbacks:
        gc.callbacks.remove(gc_pauses._on_collection)
    assert gc_pauses.install() is True
    assert gc_pauses.install() is False  # once
    assert gc.callbacks.count(gc_pauses._on_collection) == 1
    monkeypatch.setattr(gc_pauses, "WARN_SECONDS", 0.0)  # every collection counts as slow
    with caplog.at_level(logging.WARNING, logger=gc_pauses.__name__):
        gc.collect()
    assert gc_pauses.stats["full"] == 1 and gc_pauses.stats["full_seconds"] > 0
    assert gc_pauses.stats["slow"] >= 1
    assert any("generation 2 stopped the process" in record.getMessage() for record in caplog.records)


def test_a_quick_collection_is_not_logged(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    gc_pauses.install()
    monkeypatch.setattr(gc_pauses, "WARN_SECONDS", 60.0)
    with caplog.at_level(logging.WARNING, logger=gc_pauses.__name__):
        gc.collect(0)
    assert gc_pauses.stats["slow"] == 0 and not caplog.records
