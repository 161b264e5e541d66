"""jo_app.live.rooms: the topic rooms of a prefix a socket is in, found among the rooms the hub entered (not by
walking every room of the namespace, one per connected socket)."""

from __future__ import annotations

from socketio.async_manager import AsyncManager

from jo_app.live import rooms

NS = "/_event"


def test_the_rooms_of_a_prefix_a_socket_is_in() -> None:
    manager = AsyncManager()
    manager.rooms = {NS: {None: {"a": "e1", "b": "e2"}, "a": {"a": "e1"}, "b": {"b": "e2"},
                          "live:gate:1": {"a": "e1"}, "live:gate:2": {"b": "e2"}, "live:stock": {"a": "e1"}}}
    for room in ("live:gate:1", "live:gate:2"):
        rooms.remember("live:gate:", room)
    rooms.remember("live:", "live:stock")
    assert rooms.rooms_of(manager, "a", NS, "live:gate:") == ["live:gate:1"]
    assert rooms.rooms_of(manager, "b", NS, "live:gate:") == ["live:gate:2"]
    assert rooms.rooms_of(manager, "c", NS, "live:gate:") == []
    assert rooms.rooms_of(manager, "a", "/other", "live:gate:") == []


def test_rooms_of_does_not_walk_the_sockets_rooms() -> None:
    """20,000 sockets, each in a room of its own: the answer comes from the topic rooms only."""

    class Rooms(dict):
        def items(self):  # what `get_rooms` does; a walk over every socket's room
            raise AssertionError("walked every room of the namespace")

        values = keys = __iter__ = items

    manager = AsyncManager()
    manager.rooms = {NS: Rooms({f"sid-{n}": {f"sid-{n}": n} for n in range(20000)})}
    manager.rooms[NS]["live:queue:7"] = {"sid-5": 5}
    rooms.remember("live:queue:", "live:queue:7")
    assert rooms.rooms_of(manager, "sid-5", NS, "live:queue:") == ["live:queue:7"]
