"""API pushes to the live UI are coalesced: one push per burst, and never none after the last request."""

from __future__ import annotations

import threading

from jo_app.api.live import Coalescer


def test_a_burst_gives_one_push_and_a_later_request_another() -> None:
    pushes: list[int] = []
    coalescer = Coalescer(lambda: pushes.append(1), interval=0.2)
    burst = [threading.Thread(target=coalescer.request) for _ in range(20)]
    for thread in burst:
        thread.start()
    for thread in burst:
        thread.join()
    assert len(pushes) == 1
    coalescer.request()
    assert len(pushes) == 2
