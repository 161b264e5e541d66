"""API pushes to the live UI are coalesced: one push per burst, and never none after the last request; requests
never wait for a push."""

from __future__ import annotations

import asyncio
import time

from jo_app.api.live import Coalescer


def test_a_burst_gives_one_push_and_a_later_request_another() -> None:
    pushes: list[float] = []

    async def push() -> None:
        pushes.append(time.monotonic())

    async def scenario() -> None:
        coalescer = Coalescer(push, interval=0.2)
        started = time.monotonic()
        for _ in range(20):
            coalescer.request()
        assert time.monotonic() - started < 0.1  # requests return at once
        assert pushes == []
        await asyncio.sleep(0.4)
        assert len(pushes) == 1 and pushes[0] - started >= 0.2  # one push, after the burst's window
        coalescer.request()  # the push has run: a later request gets its own
        await asyncio.sleep(0.4)
        assert len(pushes) == 2

    asyncio.run(scenario())


def test_a_failing_push_does_not_stop_later_ones() -> None:
    calls: list[int] = []

    async def push() -> None:
        calls.append(1)
        raise RuntimeError("push failed")

    async def scenario() -> None:
        coalescer = Coalescer(push, interval=0)
        coalescer.request()
        await asyncio.sleep(0.05)
        coalescer.request()
        await asyncio.sleep(0.05)

    asyncio.run(scenario())
    assert len(calls) == 2


def test_a_request_on_a_new_event_loop_is_not_lost() -> None:
    """A push scheduled on a loop that closed before it ran (a restarted test client, a worker shutting down)
    must not block the pushes of the next loop."""
    pushes: list[int] = []

    async def push() -> None:
        pushes.append(1)

    coalescer = Coalescer(push, interval=10)

    async def schedule_and_leave() -> None:
        coalescer.request()

    asyncio.run(schedule_and_leave())
    coalescer.interval = 0

    async def again() -> None:
        coalescer.request()
        await asyncio.sleep(0.05)

    asyncio.run(again())
    assert pushes == [1]
