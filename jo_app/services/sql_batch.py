"""Writes whose result nobody reads, sent with the transaction's last message (the seat counters and COMMIT).

A hot-path transaction (add to cart with hold, checkout) ends with writes that return nothing: the order's items,
the emptied cart, the audit row, the outbox job, the cart line and its hold row. Each one executed on its own costs
a client round trip and its Python execution overhead. `Later` collects them as (statement, parameters); at commit
time `services.orders.seat_counters` puts them in ONE message with the counter UPDATEs and the COMMIT (PostgreSQL with
psycopg 3: simple query protocol, values inlined by psycopg's own client-side quoting, `psycopg.ClientCursor`), or
executes them one by one just before the counters with other drivers. Either way they run inside the transaction,
before the hot rows, and an error in any of them aborts the message before its COMMIT (nothing is written).

Statements are compiled once per (statement, parameter names, dialect) with their columns' bind processors (public
SQLAlchemy API: `TypeEngine.dialect_impl(...).bind_processor(...)`), so a batched write costs about a tenth of an
executed one on the client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import psycopg
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import Compiled
from sqlalchemy.sql.expression import Executable

Processor = Callable[[Any], Any] | None
_COMPILED: dict[tuple[int, tuple[str, ...], str], tuple[Executable, Compiled, dict[str, Processor]]] = {}


class Later:
    """Statements to run at the end of the transaction, in order (no results). Build one per attempt."""

    __slots__ = ("writes",)

    def __init__(self) -> None:
        self.writes: list[tuple[Executable, Mapping[str, Any]]] = []

    def add(self, statement: Executable, params: Mapping[str, Any]) -> None:
        self.writes.append((statement, params))

    def __bool__(self) -> bool:
        return bool(self.writes)


def _compiled(statement: Executable, keys: tuple[str, ...], dialect: Dialect) -> tuple[Compiled,
                                                                                     dict[str, Processor]]:
    """The statement compiled for these parameter names, and each bound parameter's processor."""
    cache_key = (id(statement), keys, dialect.name)
    hit = _COMPILED.get(cache_key)
    if hit is not None and hit[0] is statement:  # `is`: an id reused by a new object is a miss
        return hit[1], hit[2]
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    defaults = [column.key for column in (*compiled.insert_prefetch, *compiled.update_prefetch)]
    if defaults:  # Python-side column defaults run only in SQLAlchemy's execution: not here
        raise ValueError(f"sql_batch: give {', '.join(defaults)} explicitly")
    processors = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                  for name, bind in compiled.binds.items()}
    _COMPILED[cache_key] = (statement, compiled, processors)
    return compiled, processors


def _render(cursor: psycopg.ClientCursor, dialect: Dialect, statement: Executable, params: Mapping[str, Any]) -> str:
    compiled, processors = _compiled(statement, tuple(params), dialect)
    values = compiled.construct_params(params)  # with the statement's own fixed values (`.values(x=None)`)
    for name, value in values.items():
        processor = processors.get(name)
        if processor is not None and value is not None:
            values[name] = processor(value)
    return cursor.mogrify(compiled.string, values)


def script(connection: Connection, later: Later) -> str:
    """The batched writes as one SQL script, values inlined and quoted by psycopg for this connection (each
    statement ends with `;`). psycopg 3 connections only."""
    cursor = psycopg.ClientCursor(connection.connection.dbapi_connection)
    return "".join(_render(cursor, connection.dialect, statement, params) + ";" for statement, params in later.writes)


def execute(connection: Connection, later: Later) -> None:
    """Run the writes one by one (drivers without a multi-statement message: SQLite, psycopg2), with the same
    checks as `script`."""
    for statement, params in later.writes:
        _compiled(statement, tuple(params), connection.dialect)
        connection.execute(statement, params)
