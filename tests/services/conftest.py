"""Services tests: every test starts with empty rate-limit counters (the code services count guesses and
requests per client address, and the tests call them without one), and the e-mailed-code limits use day-long
windows with the default counts (a sliding minute could roll over during a slow test and forgive a request)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jo_app.config import get_settings
from jo_app.services import ratelimit

CODE_LIMITS = {"RATE_LIMIT_CODE_REQUEST": "5/day", "RATE_LIMIT_CODE_GUESS": "10/day"}


@pytest.fixture(autouse=True)
def _fresh_rate_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in CODE_LIMITS.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    ratelimit.reset()
    yield
    ratelimit.reset()
    monkeypatch.undo()
    get_settings.cache_clear()
