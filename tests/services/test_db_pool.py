"""The engine's pooled connections survive a server-side disconnect without a ping on every checkout."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from jo_app import db
from jo_app.models import LoginAttempt


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(admin_engine, pid: int) -> None:
    with admin_engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()


@pytest.fixture
def pooled(postgres_url):
    engine = db.make_engine(postgres_url, pool_size=1, max_overflow=0)
    admin = db.make_engine(postgres_url, pool_size=1, max_overflow=0)
    yield engine, admin
    engine.dispose()
    admin.dispose()


def test_idle_connection_killed_by_the_server_is_replaced(pooled, monkeypatch) -> None:
    engine, admin = pooled
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every checkout counts as "idle long enough"
    first = _backend_pid(engine)
    _terminate(admin, first)
    second = _backend_pid(engine)  # the ping found the dead connection; the pool opened a new one
    assert second != first


def test_busy_connection_is_not_pinged(pooled, monkeypatch) -> None:
    """Control: within the idle threshold there is no ping, so a dead connection surfaces as an error (and the
    pool then replaces it): this proves the recovery above comes from the idle ping."""
    engine, admin = pooled
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)
    first = _backend_pid(engine)
    _terminate(admin, first)
    with pytest.raises(OperationalError):
        _backend_pid(engine)
    assert _backend_pid(engine) != first


def test_bare_postgres_urls_get_the_psycopg3_driver() -> None:
    from jo_app.config import normalise_database_url

    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql+psycopg2://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert normalise_database_url("sqlite:///var/x.db") == "sqlite:///var/x.db"


def test_the_idle_ping_keeps_the_prepared_statements(pooled, monkeypatch) -> None:
    """The ping ends its transaction with COMMIT: a ROLLBACK makes psycopg deallocate every prepared statement
    of the connection, and the hot statements would be parsed and planned again."""
    engine, _admin = pooled
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    with engine.connect() as conn:
        for _ in range(6):  # psycopg prepares a statement at its sixth run
            conn.execute(text("SELECT :n + 1"), {"n": 1})
        conn.commit()
    with engine.connect() as conn:  # pinged on checkout
        prepared = conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert any("$1 + 1" in statement for statement in prepared), prepared


def _prepared(conn) -> list[str]:
    return conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()


def test_a_rollback_keeps_the_prepared_statements(pg_engine) -> None:
    """A read-only session closes with a rollback; the connection's prepared statements must survive it (psycopg's
    own rollback deallocates them all: the hot statements were then planned again and again)."""
    engine = pg_engine
    engine.dispose()  # one connection, reused below
    with engine.connect() as conn:
        for _ in range(6):
            conn.execute(text("SELECT :n + 2"), {"n": 1})
        assert any("$1 + 2" in statement for statement in _prepared(conn))
        conn.rollback()
        assert any("$1 + 2" in statement for statement in _prepared(conn))
    with Session(engine) as session:  # closes without commit: rollback on the way back to the pool
        session.exec(select(LoginAttempt)).all()
    with engine.connect() as conn:
        assert any("$1 + 2" in statement for statement in _prepared(conn))
        assert conn.execute(text("SELECT :n + 2"), {"n": 5}).scalar_one() == 7  # the prepared statement runs


def test_a_rollback_still_undoes_the_transaction(pg_engine) -> None:
    engine = pg_engine
    address = f"rollback-{uuid.uuid4().hex[:8]}@example.org"
    with Session(engine) as session:
        session.add(LoginAttempt(email=address))
        session.flush()
        assert session.exec(select(LoginAttempt).where(LoginAttempt.email == address)).one()
        session.rollback()
        assert session.exec(select(LoginAttempt).where(LoginAttempt.email == address)).first() is None
    with Session(engine) as session:  # a failed statement, then rollback: the connection is usable again
        with pytest.raises(Exception):  # noqa: B017 - any database error
            session.execute(text("SELECT 1 / 0"))
        session.rollback()
        assert session.execute(text("SELECT 1")).scalar_one() == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM login_attempts WHERE email = :e"), {"e": address}).scalar() == 0


def test_a_read_scope_sends_no_transaction_and_leaves_the_pooled_connection_as_it_was(pooled) -> None:
    engine, _admin = pooled
    with db.read_scope(engine) as session:
        assert session.exec(select(LoginAttempt)).all() is not None
        raw = session.connection().connection.dbapi_connection
        assert raw.autocommit and raw.info.transaction_status.name == "IDLE"  # no BEGIN was sent: none is open
    with db.session_scope(engine) as session:  # the same pooled connection (pool of one), transactional again
        session.exec(select(LoginAttempt)).all()
        raw = session.connection().connection.dbapi_connection
        assert not raw.autocommit and raw.info.transaction_status.name == "INTRANS"
