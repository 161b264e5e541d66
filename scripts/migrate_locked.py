"""Apply the migrations once even when several app replicas start together: `python -m scripts.migrate_locked`.

On PostgreSQL the upgrade runs while this process holds a session-level advisory lock, so a second replica waits,
then finds the schema at head and does nothing. SQLite (single host) needs no lock. Exit status as the CLI's.
"""

from __future__ import annotations

import sys

from sqlalchemy import text

from jo_app import cli
from jo_app.config import get_settings
from jo_app.db import make_engine

LOCK_ID = 0x4A4F_4D49  # "JOMI": any constant shared by every replica


def main() -> int:
    url = get_settings().database_url
    if not url.startswith("postgresql"):
        return cli.main(["migrate"])
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": LOCK_ID})
            try:
                return cli.main(["migrate"])
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LOCK_ID})
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
