"""Collections of the app process: measured, a long one logged, and the survivors of a full collection frozen so
that the next ones do not walk every open page again (jo_app.live.gc_pauses)."""

from __future__ import annotations

import gc
import logging
import weakref

import pytest

from jo_app.live import gc_pauses


@pytest.fixture(autouse=True)
def _measured(monkeypatch: pytest.MonkeyPatch):
    """Fresh counters and policy; afterwards the callback is removed and nothing stays frozen (gc.callbacks is the
    interpreter's own list, shared with every other test of this process)."""
    monkeypatch.setattr(gc_pauses, "stats", dict.fromkeys(gc_pauses.stats, 0))
    monkeypatch.setattr(gc_pauses, "_walked", {"all": True, "frozen_after": 0})
    monkeypatch.setattr(gc_pauses, "_freeze_after", None)
    if gc_pauses._on_collection in gc.callbacks:
        gc.callbacks.remove(gc_pauses._on_collection)
    yield
    if gc_pauses._on_collection in gc.callbacks:
        gc.callbacks.remove(gc_pauses._on_collection)
    gc.unfreeze()


class _Page:
    """A closed page's leftovers: a reference cycle only a collection frees."""

    def __init__(self) -> None:
        self.me = self


def test_a_full_collection_is_counted_and_a_slow_one_logged(monkeypatch: pytest.MonkeyPatch,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    assert gc_pauses.install(freeze_after=None) is True
    assert gc_pauses.install(freeze_after=None) is False  # once
    assert gc.callbacks.count(gc_pauses._on_collection) == 1
    monkeypatch.setattr(gc_pauses, "WARN_SECONDS", 0.0)  # every collection counts as slow
    with caplog.at_level(logging.WARNING, logger=gc_pauses.__name__):
        gc.collect()
    assert gc_pauses.stats["full"] == 1 and gc_pauses.stats["full_seconds"] > 0
    assert gc_pauses.stats["slow"] >= 1
    assert any("generation 2 stopped the process" in record.getMessage() for record in caplog.records)


def test_a_quick_collection_is_not_logged(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    gc_pauses.install(freeze_after=None)
    monkeypatch.setattr(gc_pauses, "WARN_SECONDS", 60.0)
    with caplog.at_level(logging.WARNING, logger=gc_pauses.__name__):
        gc.collect(0)
    assert gc_pauses.stats["slow"] == 0 and not caplog.records


def test_survivors_are_frozen_and_found_again_when_pages_leave() -> None:
    gc_pauses.install(freeze_after=0.0)
    page = _Page()
    gone = weakref.ref(page)
    gc.collect()  # the page is alive: it survives, and is frozen with the rest of the heap
    assert gc.get_freeze_count() > 0 and not any(obj is page for obj in gc.get_objects())
    del page  # the page leaves: its cycle is garbage, but frozen
    gc.collect()
    assert gone() is not None  # a plain collection no longer walks it (nor any other frozen page)
    assert gc_pauses.thaw_and_collect() >= 1  # the departure sweep walks everything
    assert gone() is None
    assert gc.get_freeze_count() > 0  # and the survivors are frozen again


def test_the_frozen_heap_is_walked_again_once_it_doubled(monkeypatch: pytest.MonkeyPatch) -> None:
    gc_pauses.install(freeze_after=0.0)
    gc.collect()  # a whole walk: the frozen heap's size is the reference
    page = _Page()
    gone = weakref.ref(page)
    gc.collect()
    del page
    assert gone() is not None  # frozen garbage
    monkeypatch.setattr(gc_pauses, "_walked", {"all": False, "frozen_after": gc.get_freeze_count() // 2})
    gc.collect()  # the frozen heap is now "twice" the reference: thawed for the next full collection
    assert gc_pauses.stats["thawed"] == 1
    gc.collect()
    assert gone() is None


def test_only_a_long_full_collection_freezes_its_survivors() -> None:
    """A small heap (quick collections) keeps CPython's own policy; a collection as long as the threshold freezes."""
    gc_pauses.install(freeze_after=60.0)
    page = _Page()
    gc.collect()
    assert any(obj is page for obj in gc.get_objects())  # quick: nothing frozen
    gc_pauses.install(freeze_after=0.0)  # (the same callback, a threshold every collection reaches)
    gc.collect()
    assert not any(obj is page for obj in gc.get_objects())


def test_a_quick_departure_walk_keeps_the_startup_heap_frozen() -> None:
    """The walk after pages left thaws everything; whatever it kept is frozen again even when it was quick (the
    startup heap frozen by `asgi.freeze_startup_heap` must not come back into every later collection)."""
    gc_pauses.install(freeze_after=60.0)  # no collection here reaches the threshold
    startup = [["built at start"]]
    gc.collect()
    gc.freeze()  # what freeze_startup_heap does
    gc_pauses.thaw_and_collect()
    assert not any(obj is startup for obj in gc.get_objects())
