"""The live rooms of one topic prefix a socket is in (a gate device or a waiting page moving to another room).

python-socketio's `get_rooms(sid)` walks every room of the namespace, and every connected socket has a room of its
own: O(open pages) per call, so 20,000 waiting pages joining their on-sale's room cost O(pages^2). The hub remembers
the names of the topic rooms it ever entered (bounded by the number of topics, not of pages) and asks each of those
whether the socket is in it."""

from __future__ import annotations

from typing import Any

_known: dict[str, set[str]] = {}  # prefix ("live:gate:") -> topic rooms entered so far


def remember(prefix: str, room: str) -> None:
    """Record a topic room (of `prefix`) about to be entered."""
    _known.setdefault(prefix, set()).add(room)


def rooms_of(manager: Any, sid: str, namespace: str, prefix: str) -> list[str]:
    """The topic rooms of `prefix` that `sid` is in (among those `remember`ed)."""
    members = getattr(manager, "rooms", {}).get(namespace, {})
    return [room for room in sorted(_known.get(prefix, ())) if sid in members.get(room, ())]
