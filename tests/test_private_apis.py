"""The private or undocumented APIs of our dependencies that jo_app relies on (docs/upgrade-checklist.md): each one
still exists with the shape the code expects. A dependency upgrade that changes one fails here, by name, before it
fails in production. Behaviour behind some of them is proven by the tests the checklist names."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKLIST = ROOT / "docs" / "upgrade-checklist.md"


def parameters(func: object) -> list[str]:
    return list(inspect.signature(func).parameters)


def dataclass_field(cls: type, name: str) -> dataclasses.Field:
    return {f.name: f for f in dataclasses.fields(cls)}[name]


# --- Reflex ----------------------------------------------------------------------------------------------------------

def test_reflex_app_set_contexts_internal() -> None:
    import reflex as rx

    assert parameters(rx.App._set_contexts_internal) == ["self"]


def test_reflex_app_mounts_itself_in_the_first_api_transformer() -> None:
    import reflex as rx

    assert {"api_transformer", "sio", "_state_manager"} <= {f.name for f in dataclasses.fields(rx.App)}
    assert isinstance(inspect.getattr_static(rx.App, "event_namespace"), property)
    source = inspect.getsource(rx.App.__call__)  # what jo_app.asgi.transformed_api rebuilds for /api/ requests
    assert 'api_transformer.mount("", asgi_app)' in source and "asgi_app = api_transformer(asgi_app)" in source


def test_reflex_disk_state_manager_bookkeeping() -> None:
    from reflex.istate.manager.disk import StateManagerDisk
    from reflex.istate.manager.token import StateToken

    hints = typing.get_type_hints(StateManagerDisk)
    assert "_token_last_touched" in hints and "_write_queue" in hints
    assert parameters(StateManagerDisk._is_locked) == ["self", "token"]
    assert parameters(StateManagerDisk._purge_token) == ["self", "token"]
    assert {"cache_key", "ident", "lock_key"} <= set(dir(StateToken))
    # the expired-files scan, throttled (reclaim) and made tolerant of a concurrent delete (lazy_states)
    assert parameters(StateManagerDisk._purge_expired_states) == ["self"]
    assert "_purge_expired_states()" in inspect.getsource(StateManagerDisk.__post_init__)
    assert {"states_directory", "token_expiration"} <= set(hints) | set(dir(StateManagerDisk))


def test_reflex_event_namespace_token_maps_and_disconnect() -> None:
    from reflex.app import EventNamespace
    from reflex.utils.token_manager import TokenManager

    assert isinstance(inspect.getattr_static(EventNamespace, "sid_to_token"), property)
    assert isinstance(inspect.getattr_static(EventNamespace, "token_to_sid"), property)
    assert parameters(EventNamespace.on_disconnect) == ["self", "sid"]
    assert "_token_manager" in inspect.getsource(EventNamespace.__init__)
    assert isinstance(inspect.getattr_static(TokenManager, "token_to_sid"), property)


def test_reflex_state_update_and_event_shapes() -> None:
    from reflex.state import StateUpdate
    from reflex_base.constants.state import FIELD_MARKER
    from reflex_base.event import Event

    assert {"delta", "events"} <= {f.name for f in dataclasses.fields(StateUpdate)}
    assert {"name", "payload"} <= {f.name for f in dataclasses.fields(Event)}
    assert FIELD_MARKER == "_rx_state_"
    update = StateUpdate(delta={"s": {"x" + FIELD_MARKER: 1}}, events=[Event(name="s.h", payload={})])
    assert update.delta["s"]["x_rx_state_"] == 1 and update.events[0].name == "s.h"


def test_reflex_format_helpers() -> None:
    from reflex_base.components.component import NoSSRComponent
    from reflex_base.utils.format import format_event_handler, format_library_name

    assert parameters(format_event_handler) == ["handler"]
    assert format_library_name("react-zxing@2.0.0") == "react-zxing"
    assert parameters(NoSSRComponent._get_import_name) == ["self"]


def test_reflex_var_data_plumbing() -> None:
    import reflex as rx
    from reflex.experimental.client_state import ClientStateVar

    assert "_var_data" in parameters(rx.Var.__init__)
    assert callable(rx.Var._get_all_var_data)
    assert callable(ClientStateVar.create) and "var_name" in parameters(ClientStateVar.create)


def test_reflex_trusted_proxy_hops_setting() -> None:
    import reflex as rx

    assert "trusted_proxy_hops" in {f.name for f in dataclasses.fields(rx.Config)}


# --- python-socketio -------------------------------------------------------------------------------------------------

def test_socketio_manager_rooms_layout() -> None:
    from socketio.async_manager import AsyncManager

    manager = AsyncManager()
    assert manager.rooms == {}  # rooms[namespace][room][sid] = eio_sid (jo_app/live/rooms.py reads it)


def test_engineio_socket_queue_and_packet_frame() -> None:
    import asyncio

    from engineio import packet as eio_packet
    from engineio.async_socket import AsyncSocket
    from socketio import AsyncServer
    from socketio import packet as sio_packet

    sio = AsyncServer(async_mode="asgi")
    assert sio.eio.sockets == {}  # Engine.IO sid -> AsyncSocket
    assert sio.packet_class is sio_packet.Packet and parameters(sio.packet_class)[:3] == ["packet_type", "data",
                                                                                          "namespace"]
    assert parameters(sio.manager.get_participants) == ["namespace", "room"]
    source = inspect.getsource(AsyncSocket)  # what `send` does, and the writer task that drains the queue
    assert "await self.queue.put(pkt)" in inspect.getsource(AsyncSocket.send)
    assert "await ws.send(pkt.encode())" in source and "self.closed" in source
    assert isinstance(AsyncSocket(sio.eio, "sid").queue, asyncio.Queue)
    message = eio_packet.Packet(eio_packet.MESSAGE, '2/_event,["event",{}]')
    assert message.encode() == '42/_event,["event",{}]' and message.encode_cache == message.encode()


def test_engineio_writer_poll_and_ping_task() -> None:
    from engineio import exceptions
    from engineio.async_socket import AsyncSocket
    from socketio.async_manager import AsyncManager

    from jo_app.live import engineio_tuning

    poll = inspect.getsource(engineio_tuning._original_poll)  # what jo_app.live.engineio_tuning.poll reproduces
    assert "self.queue.get()" in poll and "self.server.ping_interval + self.server.ping_timeout" in poll
    assert "raise exceptions.QueueEmpty()" in poll and "self.queue.put_nowait(None)" in poll
    assert "packets = await self.poll()" in inspect.getsource(AsyncSocket._websocket_handler)
    ping = inspect.getsource(engineio_tuning._original_send_ping)
    assert "await asyncio.sleep(self.server.ping_interval)" in ping and "self.last_ping = time.time()" in ping
    assert "self.server.start_background_task(self._send_ping)" in inspect.getsource(AsyncSocket.schedule_ping)
    assert issubclass(exceptions.QueueEmpty, Exception)
    assert parameters(AsyncManager.eio_sid_from_sid) == ["self", "sid", "namespace"]


def test_sqlalchemy_compiled_binds_and_prefetch() -> None:
    from sqlalchemy import Column, Integer, MetaData, Table, insert
    from sqlalchemy.dialects import postgresql

    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer, default=lambda: 1))
    compiled = insert(table).compile(dialect=postgresql.dialect(), column_keys=["id"])
    assert set(compiled.binds) == {"id", "n"} and [c.key for c in compiled.insert_prefetch] == ["n"]
    assert compiled.update_prefetch == [] and compiled.construct_params({"id": 5})["id"] == 5


# --- FastAPI / Starlette ---------------------------------------------------------------------------------------------

def test_fastapi_route_contexts() -> None:
    from fastapi import routing

    assert parameters(routing.iter_route_contexts)[0] == "routes"
    assert routing._FASTAPI_SCOPE_KEY == "fastapi"
    assert routing._FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY == "effective_route_context"


def test_starlette_compile_path() -> None:
    from starlette.routing import compile_path

    regex, path_format, _converters = compile_path("/api/v1/orders/{reference}")
    assert path_format == "/api/v1/orders/{reference}" and regex.match("/api/v1/orders/JO-1")


# --- SQLAlchemy / SQLModel -------------------------------------------------------------------------------------------

def test_sqlalchemy_dialect_do_rollback_is_the_rollback_hook() -> None:
    from sqlalchemy.engine.default import DefaultDialect
    from sqlalchemy.pool.base import _ConnectionRecord

    assert parameters(DefaultDialect.do_rollback) == ["self", "dbapi_connection"]
    assert "do_rollback" in inspect.getsource(__import__("sqlalchemy.pool.base", fromlist=["_"]))
    assert hasattr(_ConnectionRecord, "info")


def test_sqlmodel_autostring_wraps_a_string_impl() -> None:
    import sqlalchemy as sa
    from sqlmodel.sql.sqltypes import AutoString

    assert AutoString(length=12).impl.length == 12 and AutoString.impl is sa.String


def test_sqlalchemy_set_committed_value() -> None:
    from sqlalchemy.orm.attributes import set_committed_value

    assert parameters(set_committed_value) == ["instance", "key", "value"]


# --- psycopg ---------------------------------------------------------------------------------------------------------

def test_psycopg_prepare_threshold_and_rollback_discard() -> None:
    import psycopg
    from psycopg import _preparing
    from psycopg.pq import TransactionStatus

    assert isinstance(inspect.getattr_static(psycopg.Connection, "prepare_threshold"), property)
    assert TransactionStatus.IDLE.name == "IDLE"
    source = inspect.getsource(_preparing.PrepareManager._should_discard)
    assert 'b"ROLLBACK"' in source  # what db._keep_prepared_statements_on_rollback works around
    assert hasattr(psycopg.errors.CheckViolation, "sqlstate") and psycopg.errors.CheckViolation.sqlstate == "23514"


def test_reflex_on_load_internal_can_run_a_page_load_inline() -> None:
    from reflex import state as reflex_state
    from reflex.state import OnLoadInternalState
    from reflex_base.event import SUPERSEDES_MARKER, EventHandler
    from reflex_base.registry import RegistrationContext

    handler = OnLoadInternalState.event_handlers["on_load_internal"]
    assert isinstance(handler, EventHandler) and "fn" in {f.name for f in dataclasses.fields(handler)}
    assert isinstance(inspect.getattr_static(EventHandler, "_is_coroutine_function"), functools.cached_property)
    assert isinstance(SUPERSEDES_MARKER, str) and parameters(reflex_state._load_events_for_page) == ["state"]
    assert "app.get_load_events" in inspect.getsource(reflex_state._load_events_for_page)
    assert isinstance(inspect.getattr_static(RegistrationContext, "app"), property)
    assert handler.fn.__qualname__ == "OnLoadInternalState.on_load_internal"  # the registry name comes from it


# --- the checklist names every check ---------------------------------------------------------------------------------

def test_reflex_lazy_state_tree_hooks() -> None:
    """What jo_app.live.lazy_states builds on: how the disk manager makes, loads and locks a tree; how a state is
    made without its substates and reached by path; how `get_state` falls back on a cache miss; which events hydrate
    and where their hashes are; which states computed vars depend on; where the app creates its manager."""
    import reflex as rx
    from reflex.istate.manager import StateManager, get_state_manager
    from reflex.istate.manager.disk import StateManagerDisk
    from reflex.istate.manager.token import BaseStateToken
    from reflex.state import BaseState, State
    from reflex_base.event.processor.base_state_processor import _hydrate_event_names

    assert parameters(StateManagerDisk.get_state) == ["self", "token"]
    assert parameters(StateManagerDisk.load_state) == ["self", "token"]
    assert parameters(StateManagerDisk.modify_state) == ["self", "token", "context"]
    assert {"states", "_token_last_touched"} <= set(typing.get_type_hints(StateManagerDisk))
    assert "root_state_cls(_reflex_internal_init=True)" in inspect.getsource(StateManagerDisk.get_state)
    assert parameters(StateManager._coerce_token) == ["token"] and callable(get_state_manager)
    assert {"ident", "cls", "with_cls", "cache_key"} <= set(dir(BaseStateToken))
    assert {"parent_state", "init_substates", "_reflex_internal_init"} <= set(parameters(BaseState.__init__))
    assert parameters(BaseState._get_state_from_redis) == ["self", "state_cls"]
    assert "_get_state_from_redis" in inspect.getsource(BaseState.get_state)
    assert "super()._get_state_from_redis" in inspect.getsource(State._get_state_from_redis)
    assert parameters(BaseState._get_potentially_dirty_states) == [] and callable(BaseState._get_substate_path)
    assert parameters(BaseState.get_substate) == ["self", "path"]
    assert {name.rsplit(".", 1)[-1] for name in _hydrate_event_names()} == {"hydrate", "hydrate_and_load"}
    assert parameters(State.hydrate_and_load.fn) == ["self", "vars", "hashes"]
    assert "event=entry.event" in inspect.getsource(
        __import__("reflex_base.event.processor.base_state_processor", fromlist=["x"]).BaseStateEventProcessor
        ._execute_event)
    assert "self._state_manager = StateManager.create()" in inspect.getsource(rx.App._setup_state)


def test_reflex_client_storage_reset() -> None:
    from reflex.state import BaseState

    assert parameters(BaseState._reset_client_storage) == ["self"]
    assert parameters(BaseState._is_client_storage) == ["prop_name_or_field"]
    assert callable(BaseState.get_fields) and isinstance(BaseState.base_vars, dict)
    from jo_app.live import reflex_tuning

    assert "substate._reset_client_storage()" in inspect.getsource(reflex_tuning._original_reset)


def test_reflex_chain_updates_and_the_namespace_emitter() -> None:
    from reflex_base.event.processor import base_state_processor
    from reflex_base.event.processor.event_processor import EventProcessor

    from jo_app.live import one_message

    assert parameters(one_message._original) == ["events", "handler_name", "root_state"]
    assert parameters(base_state_processor._check_valid_yield)[:2] == ["events", "handler_name"]
    source = inspect.getsource(base_state_processor.process_event)  # looks chain_updates up in its module
    assert "await chain_updates(" in source
    original = inspect.getsource(one_message._original)  # the delta first, then frontend events apart
    assert "_get_resolved_delta()" in original and "root_state._clean()" in original and "_route_events" in original

    class _Namespace:
        async def emit_update(self, update, token):
            pass

    namespace = _Namespace()
    emit_delta = EventProcessor().configure(event_namespace=namespace)._root_context.emit_delta_impl
    assert one_message._namespace_of(emit_delta) is namespace


def test_fastapi_included_router_tables() -> None:
    from fastapi import routing

    assert parameters(routing._IncludedRouter.effective_candidates) == ["self"]
    assert parameters(routing._IncludedRouter.effective_low_priority_routes) == ["self"]
    assert "_build_effective_context" in inspect.getsource(routing._IncludedRouter.effective_candidates)


def test_the_checklist_lists_every_check_here() -> None:
    text = CHECKLIST.read_text()
    names = [name for name in globals() if name.startswith("test_") and "checklist" not in name]
    missing = [name for name in names if f"`{name}`" not in text]
    assert not missing, f"add these checks to {CHECKLIST.name}: {missing}"
