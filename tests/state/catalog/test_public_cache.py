"""The per-process public page cache: one shared result per key, dropped on clear() and after PUBLIC_CACHE_SECONDS."""

from __future__ import annotations

import pytest

from jo_app.config import get_settings
from jo_app.live import public_cache


@pytest.fixture
def cache_seconds(monkeypatch: pytest.MonkeyPatch):
    def set_seconds(value: str) -> None:
        monkeypatch.setenv("PUBLIC_CACHE_SECONDS", value)
        get_settings.cache_clear()

    yield set_seconds
    monkeypatch.delenv("PUBLIC_CACHE_SECONDS", raising=False)
    get_settings.cache_clear()


def counting_loader():
    calls = []

    def load() -> dict:
        calls.append(1)
        return {"call": len(calls)}

    return load, calls


def test_one_shared_result_until_cleared(cache_seconds) -> None:
    cache_seconds("60")
    load, calls = counting_loader()
    first = public_cache.shared("k", load)
    assert public_cache.shared("k", load) is first and len(calls) == 1
    public_cache.clear()  # what the live `catalogue` topic does on a catalogue change
    assert public_cache.shared("k", load) == {"call": 2}


def test_zero_seconds_means_no_cache(cache_seconds) -> None:
    cache_seconds("0")
    load, calls = counting_loader()
    public_cache.shared("k", load)
    public_cache.shared("k", load)
    assert len(calls) == 2
