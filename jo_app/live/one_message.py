"""A handler's state changes and the frontend events it returns (a redirect, a script) in ONE websocket message.

Reflex 0.10.1 (`base_state_processor.chain_updates`) emits what a handler yields or returns as two socket.io
messages: the state delta, then the frontend events (`_redirect`, `_call_function`...) in a second `StateUpdate`.
The browser applies an update's delta before queueing its events (`state.js`), so one `StateUpdate(delta, events)`
does exactly the same in one message: one JSON encoding, one socket.io packet and one websocket write less, e.g.
per UI payment (its outcome and the redirect to the order). Only when every event is a frontend one and the
context emits through the app's own socket.io namespace (the emitter built by `EventProcessor.configure`);
anything else (backend events to enqueue, other emitters, no locked root state) goes through Reflex's function.
"""

from __future__ import annotations

from typing import Any

from reflex.state import StateUpdate
from reflex_base.event import Event
from reflex_base.event.context import EventContext
from reflex_base.event.processor import base_state_processor

_original = base_state_processor.chain_updates


def _namespace_of(emit_delta: Any) -> Any:
    """The socket.io namespace Reflex's own delta emitter sends to, None for any other emitter."""
    code = getattr(emit_delta, "__code__", None)
    if code is None or not getattr(emit_delta, "__qualname__", "").endswith("configure.<locals>.emit_delta"):
        return None
    cells = dict(zip(code.co_freevars, emit_delta.__closure__ or (), strict=False))
    cell = cells.get("event_namespace")
    return cell.cell_contents if cell is not None else None


async def chain_updates(events: Any, handler_name: str, root_state: Any = None) -> None:
    """`chain_updates`, with the delta and frontend-only events sent together (see the module docstring)."""
    if events is None or root_state is None:
        return await _original(events, handler_name, root_state)
    ctx = EventContext.get()
    namespace = _namespace_of(ctx.emit_delta_impl)
    if namespace is None:
        return await _original(events, handler_name, root_state)
    fixed = Event.from_event_type(base_state_processor._check_valid_yield(events, handler_name=handler_name))
    if not fixed or not all(event.name.startswith("_") for event in fixed):
        return await _original(events, handler_name, root_state)
    try:
        delta = await root_state._get_resolved_delta()
    finally:
        root_state._clean()
    await namespace.emit_update(update=StateUpdate(delta=delta or {}, events=list(fixed)), token=ctx.token)
    return None


def install() -> None:
    base_state_processor.chain_updates = chain_updates  # process_event looks it up in its module at each call


def uninstall() -> None:
    base_state_processor.chain_updates = _original
