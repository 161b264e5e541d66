"""Live pushes of public figures to open pages (web infrastructure, importable by `state/` and `api/`).

`notify(topic)` after a change (never waits); pages `join` a topic's room on load. See `jo_app.live.hub`.
Topics: "stock" (seats left), "catalogue" (the published sessions, pushed whole; "catalogue-search" asks pages with
filters to search again), "admin" (dashboard figures),
"gate:<event id>" (admission counters). The states that own the figures register their readers.
"""

from __future__ import annotations

import hashlib

from jo_app.config import get_settings
from jo_app.live.hub import Hub, TopicSpec, delta_update, events_update, hub

__all__ = ["Hub", "TopicSpec", "delta_update", "events_update", "hub", "notify", "start"]


def notify(*topics: str) -> None:
    """Push the current figures of `topics` to every page showing them, in every process. Returns at once."""
    for topic in topics:
        hub.notify(topic)


def channel_name() -> str:
    """The Redis channel of this deployment (processes sharing one database share it)."""
    digest = hashlib.sha1(get_settings().database_url.encode()).hexdigest()[:16]
    return f"jo:live:{digest}"


async def start() -> None:
    """Lifespan task of each worker: attach the hub to its loop, relay through Redis when REDIS_URL is set."""
    await hub.start(get_settings().redis_url, channel_name())
