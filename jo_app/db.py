"""Database engine and session helpers shared by the app, the API, the CLI and the tests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from jo_app.config import get_settings

_ENGINES: dict[str, Engine] = {}


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


PING_AFTER_IDLE_SECONDS = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling without a round trip per checkout: a pooled connection is pinged only when
    it has been idle for PING_AFTER_IDLE_SECONDS (a busy pool never pings; one left idle across a database restart is
    replaced before use). Raising DisconnectionError makes the pool retry with a fresh connection."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.commit()  # not rollback: on a ROLLBACK psycopg deallocates every prepared statement
        except Exception as error:
            raise exc.DisconnectionError(f"stale pooled connection: {error}") from error


def _keep_prepared_statements_on_rollback(engine: Engine) -> None:
    """psycopg 3 deallocates every prepared statement of a connection on ROLLBACK, in case the transaction dropped or
    recreated objects they use. Here request transactions never run DDL (migrations run in their own process with
    their own engine), and many end with a rollback: every read-only session closes that way (web handlers, GET
    routes). Measured with benchmarks.http: unprepared, a scan costs PostgreSQL 1.6-1.7 ms of CPU instead of
    0.65 ms (planning the gate's statement), so each such rollback made the next scans on that pooled connection
    about 2.5x dearer for the database until psycopg prepared the statements again. The engine's rollback is
    therefore a plain ROLLBACK command, sent with statement preparation off for that one command (psycopg only
    discards its cache when it counts a ROLLBACK); the server-side statements and psycopg's cache stay."""
    if engine.dialect.driver != "psycopg":
        return
    from psycopg.pq import TransactionStatus

    def do_rollback(dbapi_connection) -> None:
        # The pool may hand its proxy, whose `info` is SQLAlchemy's dict: use the psycopg connection itself.
        connection = getattr(dbapi_connection, "driver_connection", dbapi_connection)
        if connection.info.transaction_status == TransactionStatus.IDLE:
            return
        threshold = connection.prepare_threshold
        connection.prepare_threshold = None
        try:
            connection.execute("ROLLBACK")
        finally:
            connection.prepare_threshold = threshold

    engine.dialect.do_rollback = do_rollback


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine with the settings this project relies on."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    _keep_prepared_statements_on_rollback(engine)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for `url` (default: the configured database)."""
    url = url or get_settings().database_url
    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url)
    return _ENGINES[url]


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


READ_ONLY = {"isolation_level": "AUTOCOMMIT"}


def autocommit_reads(session: Session) -> None:
    """Make a fresh session's connection run each statement on its own (autocommit): no BEGIN and no COMMIT round
    trips around a read (a one-statement read costs one round trip instead of three). For reads only, or writes
    that stand alone; call before the session's first statement."""
    session.connection(execution_options=READ_ONLY)


@contextmanager
def read_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session for reads (see `autocommit_reads`): each statement sees the data committed when it starts."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        autocommit_reads(session)
        yield session

