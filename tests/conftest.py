"""Shared fixtures: real databases (SQLite file and PostgreSQL), fresh for each test run.

PostgreSQL: `TEST_POSTGRES_URL` (default `postgresql+psycopg://postgres@127.0.0.1:5432/test`) names a server;
each run creates its own database there and drops it at the end. When the server is unreachable the PostgreSQL
tests fail if `CI` or `JO_REQUIRE_POSTGRES` is set (never a silent skip in CI), and are skipped otherwise.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# Settings for the test process, before any jo_app module reads them.
os.environ.setdefault("SECRET_KEY", "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("BCRYPT_ROUNDS", "4")
os.environ.setdefault("JO_ENV", "test")
# Durable jobs (mails) run only when a test runs the worker (`job_worker.run_pending`): no background thread writing
# into the next test's database. The apps started by the e2e and deploy tests turn it back on.
os.environ.setdefault("JOBS_IN_APP", "0")

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

import jo_app.models  # noqa: F401  (registers the tables)
from jo_app.config import get_settings
from jo_app.db import make_engine

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REQUIRE_PG = bool(os.environ.get("CI") or os.environ.get("JO_REQUIRE_POSTGRES"))


def _pg_admin_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG)


@pytest.fixture(scope="session", autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Outbox and cache folders private to this run."""
    base = tmp_path_factory.mktemp("jo_var")
    os.environ["OUTBOX_DIR"] = str(base / "outbox")
    os.environ["CACHE_DIR"] = str(base / "cache")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run (dropped afterwards)."""
    admin_url = make_url(_pg_admin_url())
    name = f"jo_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = make_engine(admin_url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT",
                            pool_size=1, max_overflow=0)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        message = f"PostgreSQL unreachable at {admin_url.render_as_string()}: {exc.__class__.__name__}: {exc}"
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
        ), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"


_ENGINES: dict[str, Engine] = {}


def _engine_for(url: str) -> Engine:
    if url not in _ENGINES:
        engine = make_engine(url)
        SQLModel.metadata.create_all(engine)
        _ENGINES[url] = engine
    return _ENGINES[url]


def _wipe(engine: Engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on empty tables, once on SQLite and once on PostgreSQL."""
    url = request.getfixturevalue(f"{request.param}_url")
    eng = _engine_for(url)
    _wipe(eng)
    yield eng


@pytest.fixture
def db_engine(engine, monkeypatch):
    """The test database as the app's default engine: every `session_scope()` of the states, routes and services
    opens its sessions there (one switch, instead of patching each module that imported `session_scope`)."""
    from jo_app import db
    from jo_app.config import get_settings

    monkeypatch.setitem(db._ENGINES, get_settings().database_url, engine)
    return engine


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """PostgreSQL only (concurrency tests need real row locking and many connections)."""
    eng = _engine_for(postgres_url)
    _wipe(eng)
    yield eng


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for eng in _ENGINES.values():
        eng.dispose()


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
