"""Regenerate `alembic/versions/0001_initial_schema.py` from the models (development only, before a first release).

Usage: `python -m scripts.regenerate_migration` (or `make migration`).

It autogenerates the revision against an empty temporary SQLite database, after giving every unnamed foreign key
and unique constraint a deterministic name (`fk_<table>_<column>_<referred table>`, `uq_<table>_<columns>`), so
the migration can later drop or alter them by name on both SQLite and PostgreSQL. `alembic/env.py` renders
SQLModel's AutoString as `sa.String(n)`. Review the diff, then run `pytest tests/test_migrations.py`.

Once a release has shipped, never regenerate: add a new revision with `alembic revision --autogenerate -m "..."`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import ForeignKeyConstraint, UniqueConstraint
from sqlmodel import SQLModel

import jo_app.models  # noqa: F401  (registers the tables)

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "alembic" / "versions"
REVISION_ID = "0001"
MESSAGE = "initial schema"


def name_constraints() -> int:
    """Give the unnamed FK and unique constraints of the metadata deterministic names; returns how many."""
    named = 0
    for table in SQLModel.metadata.sorted_tables:
        for constraint in table.constraints:
            if constraint.name is not None:
                continue
            columns = "_".join(column.name for column in constraint.columns)
            if isinstance(constraint, ForeignKeyConstraint):
                constraint.name = f"fk_{table.name}_{columns}_{constraint.referred_table.name}"
            elif isinstance(constraint, UniqueConstraint):
                constraint.name = f"uq_{table.name}_{columns}"
            else:
                continue
            named += 1
    return named


def main() -> int:
    existing = sorted(p.name for p in VERSIONS.glob("*.py"))
    others = [name for name in existing if not name.startswith(f"{REVISION_ID}_")]
    if others:
        print(f"Refusing: other revisions exist ({', '.join(others)}); add a new revision instead.", file=sys.stderr)
        return 1
    for name in existing:
        (VERSIONS / name).unlink()
    name_constraints()
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(str(ROOT / "alembic.ini"))
        config.set_main_option("sqlalchemy.url", f"sqlite:///{Path(tmp) / 'empty.db'}")
        command.revision(config, message=MESSAGE, autogenerate=True, rev_id=REVISION_ID)
    print(f"Wrote {VERSIONS / (REVISION_ID + '_initial_schema.py')}; review it and run pytest tests/test_migrations.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
