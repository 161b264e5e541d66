"""Regenerate `alembic/versions/0001_initial_schema.py` from the models (development only, before a first release).

Usage: `python -m scripts.regenerate_migration` (or `make migration`).

It autogenerates the revision against an empty temporary SQLite database. Every constraint and index has a
deterministic name from the naming convention of `SQLModel.metadata` (jo_app/models/__init__.py:
`fk_<table>_<columns>_<referred table>`, `uq_<table>_<columns>`, `ix_<table>_<column>`), so the migration can later
drop or alter them by name on both SQLite and PostgreSQL. `alembic/env.py` renders
SQLModel's AutoString as `sa.String(n)`. Review the diff, then run `pytest tests/test_migrations.py`.

Once a release has shipped, never regenerate: add a new revision with `alembic revision --autogenerate -m "..."`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config

import jo_app.models  # noqa: F401  (registers the tables)

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "alembic" / "versions"
REVISION_ID = "0001"
MESSAGE = "initial schema"


def main() -> int:
    existing = sorted(p.name for p in VERSIONS.glob("*.py"))
    others = [name for name in existing if not name.startswith(f"{REVISION_ID}_")]
    if others:
        print(f"Refusing: other revisions exist ({', '.join(others)}); add a new revision instead.", file=sys.stderr)
        return 1
    for name in existing:
        (VERSIONS / name).unlink()
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(str(ROOT / "alembic.ini"))
        config.set_main_option("sqlalchemy.url", f"sqlite:///{Path(tmp) / 'empty.db'}")
        command.revision(config, message=MESSAGE, autogenerate=True, rev_id=REVISION_ID)
    print(f"Wrote {VERSIONS / (REVISION_ID + '_initial_schema.py')}; review it and run pytest tests/test_migrations.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
