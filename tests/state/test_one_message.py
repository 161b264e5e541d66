"""jo_app.live.one_message: a handler's state delta and its frontend events (a redirect) go out in ONE socket.io
message, in the order the browser applies them (delta, then events); backend events, other emitters and updates
without events go through Reflex's own `chain_updates` (two messages, or the backend event enqueued)."""

from __future__ import annotations

import asyncio

import reflex as rx
from reflex_base.event.context import EventContext
from reflex_base.event.processor import base_state_processor
from reflex_base.event.processor.event_processor import EventProcessor

from jo_app.live import one_message
from jo_app.state.auth import AuthState


class _Namespace:
    def __init__(self) -> None:
        self.updates: list[tuple[str, object]] = []

    async def emit_update(self, update, token: str) -> None:
        self.updates.append((token, update))


class _Root:
    """The part of a locked root state `chain_updates` uses."""

    def __init__(self, delta: dict) -> None:
        self.delta, self.cleaned = delta, False

    async def _get_resolved_delta(self) -> dict:
        return self.delta

    def _clean(self) -> None:
        self.cleaned = True


def _run(events, delta: dict, *, namespace: _Namespace | None = None, enqueued: list | None = None):
    namespace = namespace or _Namespace()
    processor = EventProcessor().configure(event_namespace=namespace)

    async def enqueue(token, *events) -> None:
        (enqueued if enqueued is not None else []).extend(events)

    ctx = processor._root_context.fork(token="tab-1")
    ctx = EventContext(token="tab-1", state_manager=ctx.state_manager, enqueue_impl=enqueue,
                       emit_delta_impl=ctx.emit_delta_impl, emit_event_impl=ctx.emit_event_impl)
    root = _Root(delta)

    async def go() -> None:
        EventContext.set(ctx)
        await one_message.chain_updates(events, "handler", root)

    asyncio.run(go())
    return namespace.updates, root


def test_the_delta_and_the_redirect_travel_in_one_message() -> None:
    updates, root = _run(rx.redirect("/commandes/JO24-AAAA-BBBB"), {"state": {"paying": False}})
    assert len(updates) == 1
    token, update = updates[0]
    assert token == "tab-1" and root.cleaned
    assert update.delta == {"state": {"paying": False}}
    assert [event.name for event in update.events] == ["_redirect"]
    assert update.events[0].payload["path"] == "/commandes/JO24-AAAA-BBBB"


def test_reflex_sends_them_as_two_messages() -> None:  # what one_message saves (and why it must stay equivalent)
    namespace = _Namespace()
    processor = EventProcessor().configure(event_namespace=namespace)

    async def go() -> None:
        EventContext.set(processor._root_context.fork(token="tab-1"))
        await one_message._original(rx.redirect("/x"), "handler", _Root({"state": {"a": 1}}))

    asyncio.run(go())
    assert [(bool(u.delta), bool(u.events)) for _t, u in namespace.updates] == [(True, False), (False, True)]


def test_a_backend_event_is_still_enqueued_by_reflex() -> None:
    enqueued: list = []
    updates, _root = _run(AuthState.load_identity, {"state": {"a": 1}}, enqueued=enqueued)
    assert [(bool(u.delta), bool(u.events)) for _t, u in updates] == [(True, False)]
    assert [event.name.rsplit(".", 1)[-1] for event in enqueued] == ["load_identity"]


def test_other_emitters_and_plain_deltas_go_through_reflex() -> None:
    assert one_message._namespace_of(lambda token, delta: None) is None
    updates, _root = _run(None, {"state": {"a": 1}})  # no events: Reflex's own path (one delta message)
    assert [(bool(u.delta), bool(u.events)) for _t, u in updates] == [(True, False)]


def test_installed_by_the_app() -> None:
    import jo_app.jo_app  # noqa: F401

    assert base_state_processor.chain_updates is one_message.chain_updates
