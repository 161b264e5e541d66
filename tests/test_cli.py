"""The operator CLI, run as real subprocesses against a SQLite file database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from jo_app.config import PROJECT_ROOT
from jo_app.db import make_engine
from jo_app.models import Event, Offer, SigningKey, User
from jo_app.services.accounts.passwords import verify_password
from jo_app.tooling.demo_data import DEMO_ACCOUNTS, SESSIONS

GOOD_SECRET = "cli-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


def _env(db_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_")}
    env.update(DATABASE_URL=f"sqlite:///{db_path}", JO_ENV="test", SECRET_KEY=GOOD_SECRET, BCRYPT_ROUNDS="4",
               OUTBOX_DIR=str(db_path.parent / "outbox"), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def run_cli(db_path: Path, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jo_app.cli", *args], cwd=PROJECT_ROOT, env=_env(db_path, **env), input=stdin,
        capture_output=True, text=True, timeout=120, start_new_session=True,  # no tty: getpass reads stdin
    )


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file migrated by `python -m jo_app.cli migrate`."""
    path = tmp_path_factory.mktemp("cli") / "cli.db"
    result = run_cli(path, "migrate")
    assert result.returncode == 0, result.stderr
    assert "upgraded to head" in result.stdout
    return path


@pytest.fixture(scope="module")
def db(db_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{db_path}")
    yield engine
    engine.dispose()


def count(engine: Engine, model: type[SQLModel]) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_migrate_creates_every_table_and_is_repeatable(db_path: Path, db: Engine) -> None:
    assert set(SQLModel.metadata.tables) <= set(inspect(db).get_table_names())
    again = run_cli(db_path, "migrate")
    assert again.returncode == 0, again.stderr


def test_seed_demo_twice_is_idempotent(db_path: Path, db: Engine) -> None:
    first = run_cli(db_path, "seed-demo")
    assert first.returncode == 0, first.stderr
    assert f"Events: {len(SESSIONS)} created, 0 already present; offers: {3 * len(SESSIONS)} created." in first.stdout
    for account in DEMO_ACCOUNTS:
        assert account.email in first.stdout and account.password in first.stdout
    after_first = (count(db, Event), count(db, Offer), count(db, User))
    second = run_cli(db_path, "seed-demo")
    assert second.returncode == 0, second.stderr
    assert f"Events: 0 created, {len(SESSIONS)} already present; offers: 0 created." in second.stdout
    assert "Demo accounts: 0 created, 3 already present." in second.stdout
    assert (count(db, Event), count(db, Offer), count(db, User)) == after_first
    assert after_first[:2] == (len(SESSIONS), 3 * len(SESSIONS))


def test_demo_accounts_lists_them(db_path: Path) -> None:
    result = run_cli(db_path, "demo-accounts")
    assert result.returncode == 0
    for account in DEMO_ACCOUNTS:
        assert account.email in result.stdout and account.role.value in result.stdout


def test_create_user_and_duplicate(db_path: Path, db: Engine) -> None:
    result = run_cli(db_path, "create-user", "--email", "Agent.Gate@Example.org", "--password", "Porte-B12!x",
                     "--role", "employee", "--first-name", "Inès", "--last-name", "Durand")
    assert result.returncode == 0, result.stderr
    with Session(db) as session:
        user = session.exec(select(User).where(User.email == "agent.gate@example.org")).one()
        assert (user.role, user.is_verified, user.first_name) == ("employee", True, "Inès")
        assert verify_password("Porte-B12!x", user.password_hash)
    duplicate = run_cli(db_path, "create-user", "--email", "agent.gate@example.org", "--password", "Porte-B12!x",
                        "--role", "visitor")
    assert duplicate.returncode == 2
    assert "already exists" in duplicate.stderr and "Traceback" not in duplicate.stderr


def test_create_user_prompts_for_the_password(db_path: Path, db: Engine) -> None:
    result = run_cli(db_path, "create-user", "--email", "prompted@example.org", "--role", "visitor",
                     stdin="Invite-Q7!zz\nInvite-Q7!zz\n")
    assert result.returncode == 0, result.stderr
    assert "Invite-Q7!zz" not in result.stdout + result.stderr
    with Session(db) as session:
        user = session.exec(select(User).where(User.email == "prompted@example.org")).one()
        assert verify_password("Invite-Q7!zz", user.password_hash)
    mismatch = run_cli(db_path, "create-user", "--email", "other@example.org", "--role", "visitor",
                       stdin="Invite-Q7!zz\nInvite-Q8!zz\n")
    assert mismatch.returncode == 2 and "passwords differ" in mismatch.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "king", "--password", "Valid-Pass1!"], "invalid choice: 'king'"),
    (["--role", "visitor", "--password", "short"], "Password must contain"),
])
def test_create_user_refusals_exit_2_with_a_message(db_path: Path, args: list[str], message: str) -> None:
    result = run_cli(db_path, "create-user", "--email", "refused@example.org", *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_set_role(db_path: Path, db: Engine) -> None:
    assert run_cli(db_path, "create-user", "--email", "promote@example.org", "--password", "Promu-2030!k",
                   "--role", "visitor").returncode == 0
    result = run_cli(db_path, "set-role", "--email", "promote@example.org", "--role", "admin")
    assert result.returncode == 0, result.stderr
    with Session(db) as session:
        assert session.exec(select(User.role).where(User.email == "promote@example.org")).one() == "admin"
    missing = run_cli(db_path, "set-role", "--email", "nobody@example.org", "--role", "admin")
    assert missing.returncode == 2 and "No active account" in missing.stderr


def test_signing_key_rotation_commands(db_path: Path, db: Engine) -> None:
    before = count(db, SigningKey)
    first = run_cli(db_path, "rotate-signing-key")
    second = run_cli(db_path, "rotate-signing-key")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    kids = [int(r.stdout.split("kid ")[1].split(".")[0]) for r in (first, second)]
    assert count(db, SigningKey) == before + 2
    listing = run_cli(db_path, "list-signing-keys")
    assert listing.returncode == 0
    rows = {line.split()[0]: line.split()[1] for line in listing.stdout.splitlines()[2:]}
    assert rows[str(kids[0])] == "verify_only" and rows[str(kids[1])] == "active"
    refused = run_cli(db_path, "retire-signing-key", "--kid", str(kids[1]))
    assert refused.returncode == 2 and "rotate first" in refused.stderr
    retired = run_cli(db_path, "retire-signing-key", "--kid", str(kids[0]))
    assert retired.returncode == 0, retired.stderr
    assert str(kids[0]) not in {line.split()[0] for line in run_cli(db_path, "list-signing-keys").stdout.splitlines()}


def test_check_config_refuses_default_secret_in_production(db_path: Path) -> None:
    result = run_cli(db_path, "check-config", JO_ENV="prod", SECRET_KEY="")
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    ok = run_cli(db_path, "check-config", JO_ENV="prod")
    assert ok.returncode == 0 and ok.stdout.startswith("OK: env=prod")


def test_release_expired_holds(db_path: Path, db: Engine) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from jo_app.models import SeatHold
    from jo_app.services.orders import cart
    from jo_app.timeutil import utcnow
    from tests.factories import make_event, make_offer, make_user

    with Session(db) as session:
        event = make_event(session, capacity=10, starts_at=utcnow() + timedelta(days=2))
        offer = make_offer(session, event, offer_type="duo")
        buyer, other = make_user(session), make_user(session)
        session.commit()
        cart.add_item(session, buyer.id, offer.id, 2)
        cart.add_item(session, other.id, offer.id, 1)
        session.exec(update(SeatHold).where(SeatHold.seats == 4).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
        event_id = event.id
    result = run_cli(db_path, "release-expired-holds")
    assert result.returncode == 0, result.stderr
    assert "Released 4 held seat(s) on 1 event(s)." in result.stdout
    with Session(db) as session:
        assert session.get(Event, event_id).seats_held == 2  # the live hold stays


def test_onsale_commands(db_path: Path, db: Engine) -> None:
    from datetime import timedelta

    from jo_app.timeutil import utcnow
    from tests.factories import make_event

    with Session(db) as session:
        event = make_event(session, capacity=10, starts_at=utcnow() + timedelta(days=2))
        session.commit()
        event_id = event.id
    created = run_cli(db_path, "onsale", "create", "--name", "Finale", "--opens-at", "2020-01-01T09:00",
                      "--events", str(event_id), "--rate", "120")
    assert created.returncode == 0, created.stderr
    onsale_id = created.stdout.split()[1]
    with Session(db) as session:
        assert str(session.get(Event, event_id).onsale_id) == onsale_id
    paused = run_cli(db_path, "onsale", "pause", "--id", onsale_id)
    assert paused.returncode == 0 and "opened=True paused=True" in paused.stdout, paused.stderr
    rate = run_cli(db_path, "onsale", "rate", "--id", onsale_id, "--rate", "30")
    assert "rate=30/min" in rate.stdout
    bad = run_cli(db_path, "onsale", "create", "--name", "X", "--opens-at", "tomorrow")
    assert bad.returncode == 2 and "ISO" in bad.stderr and "Traceback" not in bad.stderr
