"""Benchmark-only census of a server worker's live objects (what pages that left may have kept).

`install(app, path)` (benchmarks/http_app.py, with BENCH_GC_DUMP set) makes SIGUSR2 append one JSON line to
`<path>.<pid>`: RSS, counts of live objects by type after `gc.collect()` (top 80, and every Reflex state class),
the sizes of the Reflex state manager's tables, socket.io's sessions and rooms, engine.io's sockets and the live
hub's caches. Read by `benchmarks.live_ui` after pages left.
"""

from __future__ import annotations

import collections
import gc
import json
import os
import signal
import time
from typing import Any


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def _sizes(app: Any) -> dict[str, int]:
    from jo_app.live import hub, reclaim

    out: dict[str, int] = {}
    manager = getattr(app, "_state_manager", None)
    for name in ("states", "_states_locks", "_token_last_touched", "_write_queue"):
        table = getattr(manager, name, None)
        if table is not None:
            out[f"manager.{name}"] = len(table)
    sio = getattr(app, "sio", None)
    if sio is not None:
        rooms = sio.manager.rooms
        out["sio.namespaces"] = len(rooms)
        out["sio.rooms"] = sum(len(r) for r in rooms.values())
        out["sio.room_members"] = sum(len(m) for r in rooms.values() for m in r.values())
        out["sio.eio_sockets"] = len(getattr(sio.eio, "sockets", {}))
        out["sio.manager_eio_to_sid"] = sum(len(v) for v in getattr(sio.manager, "eio_to_sid", {}).values()) \
            if isinstance(getattr(sio.manager, "eio_to_sid", None), dict) else -1
    namespace = getattr(app, "event_namespace", None)
    if namespace is not None:
        out["ns.sid_to_token"] = len(namespace.sid_to_token)
        token_manager = getattr(namespace, "_token_manager", None)
        for name in ("token_to_sid", "sid_to_token", "token_to_socket"):
            table = getattr(token_manager, name, None)
            if isinstance(table, dict):
                out[f"tokens.{name}"] = len(table)
    out["reclaim.due"] = len(reclaim._due)
    out.update(_built)
    out.update({f"reclaim.{name}": value for name, value in reclaim.stats.items()})
    out["hub.cache"] = len(hub._cache)
    return out


def census(app: Any) -> dict[str, Any]:
    from reflex.state import BaseState

    gc.collect()
    counts: collections.Counter[str] = collections.Counter()
    states = 0
    for obj in gc.get_objects():
        kind = type(obj)
        counts[f"{kind.__module__}.{kind.__qualname__}"] += 1
        if isinstance(obj, BaseState):
            states += 1
    return {"time": time.time(), "rss_kb": _rss_kb(), "objects": sum(counts.values()), "states": states,
            "top": counts.most_common(80), "tables": _sizes(app), "samples": _samples()}


def _samples() -> dict[str, list[str]]:
    """What the most common small objects are (a few reprs, and who refers to them)."""
    import random
    import weakref

    refs = [obj for obj in gc.get_objects() if type(obj) is weakref.ReferenceType]
    builtins = [obj for obj in gc.get_objects() if type(obj).__name__ == "builtin_function_or_method"]
    out: dict[str, list[str]] = {"weakref": [], "builtin": []}
    for ref in random.sample(refs, min(8, len(refs))):
        out["weakref"].append(f"{ref!r} callback={ref.__callback__!r}"[:200])
    for fn in random.sample(builtins, min(8, len(builtins))):
        holders = [type(h).__qualname__ for h in gc.get_referrers(fn)][:4]
        out["builtin"].append(f"{fn!r} held by {holders}"[:200])
    return out


_built = {"fastapi_route_contexts": 0}


def _count_fastapi_route_builds() -> None:
    """Count FastAPI's (re)builds of its included routers' route contexts (pydantic schemas: costly if per request)."""
    try:
        from fastapi import routing
    except ImportError:
        return
    original = getattr(routing, "_IncludedRouter", None)
    if original is None or getattr(original, "_census_counted", False):
        return
    build = original._build_effective_context

    def counted(self, route):
        _built["fastapi_route_contexts"] += 1
        return build(self, route)

    original._build_effective_context = counted
    original._census_counted = True


def install(app: Any, path: str) -> None:
    _count_fastapi_route_builds()
    def dump(_signum, _frame) -> None:
        with open(f"{path}.{os.getpid()}", "a") as out:
            out.write(json.dumps(census(app)) + "\n")

    signal.signal(signal.SIGUSR2, dump)
