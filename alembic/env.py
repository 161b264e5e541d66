"""Alembic environment: the SQLModel tables of jo_app.models are the target schema.

Database URL, first match wins:
1. `alembic -x db_url=postgresql+psycopg://... upgrade head`;
2. `sqlalchemy.url` set programmatically (`Config.set_main_option("sqlalchemy.url", url)`, as the CLI and tests do);
3. `jo_app.config.get_settings().database_url` (the DATABASE_URL environment variable or `.env`).

A caller may also pass an open connection in `config.attributes["connection"]`.
"""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import jo_app.models  # noqa: F401  (registers every table on SQLModel.metadata)
from jo_app.config import get_settings, normalise_database_url

config = context.config

# Configure logging from alembic.ini only for the command line (do not clobber an application's logging).
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def database_url() -> str:
    """The URL to migrate (see the module docstring for the order of precedence)."""
    url = context.get_x_argument(as_dictionary=True).get("db_url") or config.get_main_option("sqlalchemy.url")
    return normalise_database_url(url or get_settings().database_url)


def render_item(type_: str, obj: object, autogen_context) -> str | bool:
    """Render SQLModel's AutoString as a plain `sa.String(n)`: migrations must not depend on SQLModel internals."""
    if type_ == "type" and isinstance(obj, AutoString):
        length = obj.impl.length
        return f"sa.String(length={length})" if length else "sa.String()"
    return False


def _configure(**kwargs) -> None:
    url_or_dialect = kwargs.get("url") or kwargs["connection"].dialect.name
    is_sqlite = str(url_or_dialect).startswith("sqlite")
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
        render_as_batch=is_sqlite,
        render_item=render_item,  # SQLite cannot ALTER most things: Alembic copies the table instead
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout (`alembic upgrade head --sql`) without a database connection."""
    _configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_with(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            _run_with(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
