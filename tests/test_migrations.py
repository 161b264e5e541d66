"""The Alembic migrations build exactly the schema the models describe, on SQLite and on PostgreSQL.

If a test here fails after a model change, regenerate the initial migration (`make migration`, i.e.
`python -m scripts.regenerate_migration`) before the first release, or add a new revision afterwards
(`alembic revision --autogenerate -m "..."`), then review it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import jo_app.models  # noqa: F401  (registers the tables)
from jo_app.db import make_engine

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    return config


@pytest.fixture(params=["sqlite", "postgres"])
def migration_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An EMPTY database (no create_all): a SQLite file, or a PostgreSQL database made for this test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    server = make_url(request.getfixturevalue("postgres_url"))
    name = f"jo_mig_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT",
                        pool_size=1, max_overflow=0)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def migrated(migration_url: str) -> Iterator[Engine]:
    """The empty database after `alembic upgrade head`."""
    command.upgrade(alembic_config(migration_url), "head")
    engine = make_engine(migration_url, **({} if migration_url.startswith("sqlite") else {"pool_size": 2}))
    yield engine
    engine.dispose()


def schema_diff(engine: Engine) -> list:
    """What autogenerate would still change to make the database match the models (empty when in sync)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, SQLModel.metadata)


def app_tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_head_builds_exactly_the_models(migrated: Engine) -> None:
    assert app_tables(migrated) == set(SQLModel.metadata.tables)
    diff = schema_diff(migrated)
    assert diff == [], "models and migrations disagree; regenerate with `make migration`:\n" + "\n".join(
        map(str, diff))


def test_check_constraints_match_the_models(migrated: Engine) -> None:
    """Autogenerate does not compare CHECK constraints, so compare them here (names, and SQL text on SQLite)."""
    inspector = inspect(migrated)
    for table in SQLModel.metadata.sorted_tables:
        expected = {c.name: str(c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint)}
        reflected = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table.name)}
        assert set(reflected) == set(expected), table.name
        if migrated.dialect.name == "sqlite":  # SQLite reflects the text verbatim; PostgreSQL rewrites it
            assert reflected == expected, table.name


def test_foreign_keys_and_unique_constraints_are_named(migrated: Engine) -> None:
    """Named constraints can be dropped or altered by later migrations on both databases."""
    inspector = inspect(migrated)
    fk_count = 0
    for table in SQLModel.metadata.sorted_tables:
        for fk in inspector.get_foreign_keys(table.name):
            fk_count += 1
            assert fk["name"] == f"fk_{table.name}_{'_'.join(fk['constrained_columns'])}_{fk['referred_table']}"
        for uq in inspector.get_unique_constraints(table.name):
            assert uq["name"] and uq["name"].startswith("uq_"), (table.name, uq)
    assert fk_count >= 20


def test_business_constraints_hold_in_the_migrated_schema(migrated: Engine) -> None:
    insert_event = text(
        "INSERT INTO events (slug, sport, title, description, venue, city, starts_at, capacity, seats_sold,"
        " is_published, created_at, updated_at) VALUES (:slug, 'Judo', 'T', '', 'V', 'Paris', '2030-01-01 10:00:00',"
        " :capacity, :sold, true, '2030-01-01 00:00:00', '2030-01-01 00:00:00')"
    )
    with migrated.begin() as conn:
        conn.execute(insert_event, {"slug": "ok", "capacity": 10, "sold": 10})
    for params in ({"slug": "oversold", "capacity": 10, "sold": 11}, {"slug": "ok", "capacity": 10, "sold": 0}):
        with pytest.raises(IntegrityError), migrated.begin() as conn:
            conn.execute(insert_event, params)


def test_downgrade_to_base_then_upgrade_again(migration_url: str) -> None:
    config = alembic_config(migration_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = make_engine(migration_url, **({} if migration_url.startswith("sqlite") else {"pool_size": 2}))
    try:
        assert app_tables(engine) == set()
        command.upgrade(config, "head")
        assert app_tables(engine) == set(SQLModel.metadata.tables)
        assert schema_diff(engine) == []
    finally:
        engine.dispose()


def test_single_head_and_linear_history() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    revisions = list(script.walk_revisions())
    assert revisions[-1].down_revision is None
