"""A page's Reflex states built when an event needs them, not the whole tree of ~32 states for every new page.

Reflex's disk state manager (the default without Redis) instantiates every state of the app for each new token:
an anonymous catalogue page built the 8 admin states, the gate, account and checkout states, and its hydrate
serialised all of them, then compared each var with the compiled defaults the browser already holds, only to send
nothing for them. `LazyStateManagerDisk` builds, for each event, only the states it needs (those Reflex's own Redis
manager fetches, without the handler state's substates): the handler's state and its parents, the states whose
computed vars depend on them, and (at a hydrate) the states with browser storage; a handler's `get_state(Other)`
builds `Other` then (from its file on disk if the page had one, else fresh). A state never built holds its
defaults, which are what the browser's compiled state holds: a hydrate carrying the compiled-state hashes (a page's
first load) sends the same delta as with the whole tree. A hydrate without them (a reconnect) and an event that
makes Reflex rehydrate a fresh state get the whole tree, as before. Only the disk manager is replaced; Redis and
memory managers are Reflex's own. `LAZY_STATES=false` keeps Reflex's manager (A/B measurements).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator
from typing import Any

from reflex.istate.manager.disk import StateManagerDisk
from reflex.istate.manager.token import BaseStateToken
from reflex.state import BaseState

from jo_app.live.reflex_tuning import client_storage_fields

_original_get_state_from_redis = BaseState._get_state_from_redis


def enabled() -> bool:
    from jo_app.config import get_settings

    return get_settings().lazy_states


def _chain(cls: type[BaseState]) -> list[type[BaseState]]:
    """`cls` and its parents, root first."""
    chain = []
    while cls is not None:
        chain.append(cls)
        cls = cls.get_parent_state()
    return chain[::-1]


@functools.cache
def required(cls: type[BaseState]) -> tuple[type[BaseState], ...]:
    """The states an event of `cls` needs, parents before children: `cls` and its parents, and (recursively) the
    states whose computed vars depend on their vars, with their parents."""
    found: dict[type[BaseState], None] = {}
    todo = [cls]
    while todo:
        for state_cls in _chain(todo.pop()):
            if state_cls not in found:
                found[state_cls] = None
                todo.extend(state_cls._get_potentially_dirty_states())
    return tuple(sorted(found, key=lambda c: len(_chain(c))))


@functools.cache
def _with_browser_storage(root: type[BaseState]) -> tuple[type[BaseState], ...]:
    """The states holding rx.Cookie / rx.LocalStorage / rx.SessionStorage vars (a hydrate resets and sets them)."""
    found: dict[type[BaseState], None] = {}
    todo = [root]
    while todo:
        state_cls = todo.pop()
        todo.extend(state_cls.get_substates())
        if client_storage_fields(state_cls):
            found.update(dict.fromkeys(required(state_cls)))
    return tuple(sorted(found, key=lambda c: len(_chain(c))))


def _everything(root: type[BaseState]) -> list[type[BaseState]]:
    out, todo = [], [root]
    while todo:
        state_cls = todo.pop(0)
        out.append(state_cls)
        todo.extend(sorted(state_cls.get_substates(), key=lambda c: c.get_name()))
    return out


WRITE_LOOP_SECONDS = 1.0  # the deferred writes run at most once a second (every due state written each time)
FILE_PURGE_SECONDS = 60.0  # expired state files (kept `token_expiration`, an hour) are looked for once a minute


class LazyStateManagerDisk(StateManagerDisk):
    """`StateManagerDisk` whose state trees hold only the states that events needed so far (see the module).

    Its write loop is paced: Reflex's wakes whenever the oldest queued state is due, and each round sorts the whole
    queue, scans every known token and lists every state file: with pages arriving continuously that is one round
    per arrival, O(pages) each (measured: 20,000 waiting pages opened at 25 pages/s, 41 ms of CPU each, and a server
    busy 100 % of a core once they were all open). Here a round runs at most once per WRITE_LOOP_SECONDS (writing
    everything due; a state is in memory meanwhile) and the file scan at most once per FILE_PURGE_SECONDS."""

    _last_file_purge: float = 0.0

    async def _process_write_queue_delay(self) -> None:
        if self._write_debounce_seconds <= 0 and not self._write_queue:
            await super()._process_write_queue_delay()  # no debounce: Reflex sleeps until the next expiration
            return
        await asyncio.sleep(max(self._write_debounce_seconds, WRITE_LOOP_SECONDS))

    def _purge_expired_states(self) -> None:
        """Reflex's scan for expired state files, at most once per FILE_PURGE_SECONDS, tolerant of a file another
        process sharing the directory (a second app or test process started at the same moment) removed between the
        listing and its `stat`."""
        now = time.monotonic()
        if self._last_file_purge and now - self._last_file_purge < FILE_PURGE_SECONDS:
            return
        self._last_file_purge = now
        for path in self.states_directory.glob("*.pkl"):
            with contextlib.suppress(FileNotFoundError):
                if time.time() - path.stat().st_mtime > self.token_expiration:
                    path.unlink(missing_ok=True)

    async def get_state(self, token: Any) -> Any:
        token = self._coerce_token(token)
        if not isinstance(token, BaseStateToken):
            return await super().get_state(token)
        self._token_last_touched[token.cache_key] = (time.time(), token)
        root = self.states.get(token.cache_key)
        if root is None:
            root_cls = token.cls.get_root_state()
            root = await self.load_state(token.with_cls(root_cls))
            if not isinstance(root, BaseState):
                root = root_cls(init_substates=False, _reflex_internal_init=True)
            self.states[token.cache_key] = root
        await self.build(token, root, required(token.cls))
        return root

    async def build(self, token: BaseStateToken, root: BaseState, classes: Any) -> None:
        """Attach the states of `classes` (parents first) missing from `root`'s tree: from disk, else fresh."""
        for state_cls in classes:
            parent_cls = state_cls.get_parent_state()
            if parent_cls is None:
                continue
            parent = root.get_substate(parent_cls._get_substate_path())
            name = state_cls.get_name()
            if name in parent.substates:
                continue
            state = await self.load_state(token.with_cls(state_cls))
            if not isinstance(state, state_cls):
                state = state_cls(init_substates=False, _reflex_internal_init=True)
            state.parent_state = parent
            parent.substates[name] = state

    @contextlib.asynccontextmanager
    async def modify_state(self, token: Any, **context: Any) -> AsyncIterator[Any]:
        async with super().modify_state(token, **context) as root:
            if isinstance(root, BaseState) and _needs_everything(root, context.get("event")):
                await self.build(self._coerce_token(token), root, _everything(type(root)))
            elif isinstance(root, BaseState) and _is_hydrate(context.get("event")):
                await self.build(self._coerce_token(token), root, _with_browser_storage(type(root)))
            yield root


def _is_hydrate(event: Any) -> bool:
    from reflex_base.event.processor.base_state_processor import _hydrate_event_names

    return event is not None and getattr(event, "name", None) in _hydrate_event_names()


def _needs_everything(root: BaseState, event: Any) -> bool:
    """A hydrate without the compiled-state hashes sends every state in full; an event on a state with no route yet
    makes Reflex rehydrate it (the same full snapshot)."""
    if event is None:
        return False
    if _is_hydrate(event):
        return not (getattr(event, "payload", None) or {}).get("hashes")
    return not root.router_data


async def _get_state_from_redis(self: BaseState, state_cls: type[BaseState]) -> BaseState:
    """`get_state(Other)` of a state not built yet: build it (with what it needs) in this page's tree."""
    from reflex.istate.manager import get_state_manager

    try:
        manager = get_state_manager()
    except LookupError:  # no event context (unit tests building states by hand)
        manager = None
    if not isinstance(manager, LazyStateManagerDisk):
        return await _original_get_state_from_redis(self, state_cls)
    root = self._get_root_state()
    token = BaseStateToken(ident=self.rx_router_session.client_token, cls=state_cls)
    await manager.build(token, root, required(state_cls))
    return root.get_substate(state_cls._get_substate_path())


def install() -> None:
    BaseState._get_state_from_redis = _get_state_from_redis  # type: ignore[method-assign]


def uninstall() -> None:
    BaseState._get_state_from_redis = _original_get_state_from_redis  # type: ignore[method-assign]


def manager_for(current: Any) -> Any:
    """The lazy manager in place of Reflex's plain disk manager (others are kept)."""
    if type(current) is StateManagerDisk and enabled():
        install()
        return LazyStateManagerDisk()
    return current
