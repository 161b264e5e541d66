"""Live pushes during a burst of changes (an on-sale): a lone change is pushed at once, a sustained burst costs a
few pushes a second (`TopicSpec.burst_interval`), and a figure-only topic does not send its room what every page of
it already shows (`TopicSpec.skip_unchanged`), unless some pages got other figures on their own meanwhile."""

from __future__ import annotations

import asyncio
import time

from jo_app.live.hub import NAMESPACE, Hub, TopicSpec, delta_update
from tests.state.catalog.test_catalogue_live import _App, _Sio


def _hub(spec_args: dict, value: list[int]) -> tuple[Hub, _Sio, list[float]]:
    hub, sio, reads = Hub(), _Sio(), []

    def reader(_topic: str):
        reads.append(time.monotonic())
        return delta_update("s", {"x": value[0]})

    hub.register("t", TopicSpec(reader, **spec_args))
    hub.bind(_App(sio))
    return hub, sio, reads


def _pushed(sio: _Sio, hub: Hub) -> list[int]:
    """The figure of each update sent to the topic's room (welcomes apart)."""
    return [data.delta["s"]["x_rx_state_"] for to, _members, data in sio.emits if to == hub.room("t")]


def _burst(hub: Hub, value: list[int], seconds: float) -> None:
    async def go() -> None:
        hub.attach_loop()
        await hub.join("page", "t")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:  # a sale every 10 ms
            value[0] += 1
            hub.notify("t", relay=False)
            await asyncio.sleep(0.01)
        await hub.idle()

    asyncio.run(go())


def test_a_burst_is_pushed_a_few_times_a_second_and_its_last_figure_arrives() -> None:
    value = [0]
    hub, sio, _reads = _hub({"interval": 0.05, "burst_interval": 0.25}, value)
    _burst(hub, value, 1.2)
    pushed = _pushed(sio, hub)
    assert 3 <= len(pushed) <= 9  # 0, 50, 100, 200 ms, then every 250 ms (a fixed 50 ms interval: ~24)
    assert pushed[-1] == value[0]  # the figures after the burst reach the pages


def test_a_fixed_interval_topic_keeps_its_pace() -> None:
    value = [0]
    hub, sio, _reads = _hub({"interval": 0.05}, value)
    _burst(hub, value, 0.6)
    assert len(_pushed(sio, hub)) >= 8


def test_a_lone_change_after_a_burst_is_pushed_at_once() -> None:
    value = [0]
    hub, sio, reads = _hub({"interval": 0.05, "burst_interval": 0.25}, value)
    _burst(hub, value, 0.6)

    async def lone() -> float:
        hub.attach_loop()
        await asyncio.sleep(0.3)  # the pump is over
        before, started = len(reads), time.monotonic()
        value[0] += 1
        hub.notify("t", relay=False)
        while len(reads) == before:
            await asyncio.sleep(0.002)
        await hub.idle()
        return reads[before] - started

    assert asyncio.run(lone()) < 0.04
    assert _pushed(sio, hub)[-1] == value[0]


def test_unchanged_figures_are_not_sent_again_unless_a_page_got_others() -> None:
    value = [7]
    hub, sio, reads = _hub({"interval": 0.01, "skip_unchanged": True}, value)

    async def go() -> None:
        hub.attach_loop()
        await hub.join("p1", "t")
        for _ in range(3):  # three notifications of the same figures (e.g. held seats paid: held -> sold)
            hub.notify("t", relay=False)
            await hub.idle()
            await asyncio.sleep(0.03)
        assert _pushed(sio, hub) == [7] and len(reads) == 3
        value[0] = 8
        await asyncio.sleep(0.3)  # the cached read is too old for a joining page: it reads 8
        await hub.welcome("p2", "t")
        await asyncio.sleep(0.1)
        value[0] = 7  # back to what the room was last sent: p2 shows 8, so 7 is sent again
        hub.notify("t", relay=False)
        await hub.idle()
        await asyncio.sleep(0.03)
        hub.notify("t", relay=False)  # and now everybody shows 7
        await hub.idle()

    asyncio.run(go())
    assert _pushed(sio, hub) == [7, 7]
    welcomes = [data.delta["s"]["x_rx_state_"] for to, _m, data in sio.emits if "#welcome" in to]
    assert welcomes == [8]
    assert sorted(sio.manager.rooms[NAMESPACE][hub.room("t")]) == ["p1", "p2"]
