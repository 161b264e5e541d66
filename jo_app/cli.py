"""Operator command line: `python -m jo_app.cli <command> [...]` (run `--help` for the list).

Every command works on the configured database (DATABASE_URL). Domain and configuration errors print a message
and exit with status 2 (no traceback).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from jo_app.config import PROJECT_ROOT, ConfigurationError, get_settings
from jo_app.models import Role, User
from jo_app.services.errors import ConflictError, DomainError, NotFoundError, ValidationError

ROLE_CHOICES = [role.value for role in Role]
ROLE_LABELS = {Role.VISITOR: "Visiteur", Role.EMPLOYEE: "Employé", Role.ADMIN: "Administrateur"}


def _session() -> Session:
    from jo_app.db import get_engine

    return Session(get_engine(), expire_on_commit=False)


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def safe_url(url: str) -> str:
    """The URL with its password hidden, for display."""
    return make_url(url).render_as_string(hide_password=True)


# --- Commands ------------------------------------------------------------------------------------------------------

def cmd_migrate(args: argparse.Namespace) -> int:
    from alembic import command
    from alembic.config import Config

    url = get_settings().database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser interpolation
    command.upgrade(config, args.revision)
    print(f"Database at {safe_url(url)} upgraded to {args.revision}.")
    return 0


def _print_accounts() -> None:
    from jo_app.tooling.demo_data import DEMO_ACCOUNTS

    print(_table(["Role", "E-mail", "Password", "Name"],
                 [(a.role.value, a.email, a.password, f"{a.first_name} {a.last_name}") for a in DEMO_ACCOUNTS]))


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from jo_app.tooling.demo_data import seed_demo

    today = date.fromisoformat(args.today) if args.today else None
    with _session() as session:
        report = seed_demo(session, today=today, with_accounts=True if args.with_accounts else None)
    print(f"Events: {report.events_created} created, {report.events_existing} already present; "
          f"offers: {report.offers_created} created.")
    if report.accounts_skipped:
        print("Demo accounts: skipped in production (use --with-accounts to create them anyway).")
        return 0
    print(f"Demo accounts: {report.users_created} created, {report.users_existing} already present.\n")
    _print_accounts()
    return 0


def cmd_demo_accounts(args: argparse.Namespace) -> int:
    _print_accounts()
    return 0


def _password_from(args: argparse.Namespace) -> str:
    if args.password:
        return args.password
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != first:
        raise ValidationError("The two passwords differ.", field="password")
    return first


def cmd_create_user(args: argparse.Namespace) -> int:
    from jo_app.services.accounts.users import create_user

    password = _password_from(args)
    with _session() as session:
        user = create_user(session, email=args.email, password=password, first_name=args.first_name or "Compte",
                           last_name=args.last_name or ROLE_LABELS[args.role], role=Role(args.role), verified=True)
        session.commit()
        print(f"Created {user.role} account {user.email} (id {user.id}, username {user.username}).")
    return 0


def cmd_set_role(args: argparse.Namespace) -> int:
    """Operator role change (no admin actor needed: this is how the first administrator is made)."""
    from jo_app.services import audit
    from jo_app.services.accounts.common import find_active_user_by_email

    with _session() as session:
        user = find_active_user_by_email(session, args.email)
        if user is None:
            raise NotFoundError("No active account with this e-mail address.", code="user_not_found")
        if user.role == args.role:
            print(f"{user.email} is already {args.role}.")
            return 0
        if user.role == Role.ADMIN:
            admins = session.exec(select(func.count()).select_from(User).where(
                User.role == Role.ADMIN, ~User.is_locked, User.anonymized_at.is_(None), User.id != user.id,
            )).one()
            if admins == 0:
                raise ConflictError("The last administrator cannot be demoted.", code="last_admin")
        old_role, user.role = user.role, args.role
        session.add(user)
        audit.record(session, "user.role_changed", target_type="user", target_id=user.id, old_role=old_role,
                     new_role=args.role, via="cli")
        session.commit()
        print(f"{user.email}: {old_role} -> {args.role}.")
    return 0


def cmd_rotate_signing_key(args: argparse.Namespace) -> int:
    from jo_app.services.tickets import signing

    with _session() as session:
        kid = signing.rotate(session)
    print(f"New active signing key: kid {kid}. Previous keys still verify until retired.")
    return 0


def cmd_retire_signing_key(args: argparse.Namespace) -> int:
    from jo_app.services.tickets import signing

    with _session() as session:
        signing.retire(session, args.kid)
    print(f"Signing key {args.kid} retired: tickets it signed no longer verify.")
    return 0


def cmd_list_signing_keys(args: argparse.Namespace) -> int:
    from jo_app.services.tickets import signing

    with _session() as session:
        keys = signing.public_keys(session, include_retired=args.all)
    if not keys:
        print("No signing key yet (the first one is created when the first ticket is issued).")
        return 0
    print(_table(["Kid", "Status", "Algorithm", "Created (UTC)", "Public key"],
                 [(k["kid"], k["status"], k["algorithm"], f"{k['created_at']:%Y-%m-%d %H:%M}", k["public_key"])
                  for k in keys]))
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = get_settings()
    settings.check_production_ready()
    print(f"OK: env={settings.env}, database={safe_url(settings.database_url)}, "
          f"mail={'SMTP ' + settings.smtp_host if settings.smtp_host else 'outbox ' + str(settings.outbox_dir)}")
    return 0


def cmd_sport_images(args: argparse.Namespace) -> int:
    from jo_app.tooling.sport_art import ASSETS_DIR, write_all

    paths = write_all(Path(args.directory) if args.directory else ASSETS_DIR)
    print(f"Wrote {len(paths)} illustrations to {paths[0].parent}.")
    return 0


def cmd_release_expired_holds(args: argparse.Namespace) -> int:
    from jo_app.services.orders import holds

    with _session() as session:
        freed = holds.sweep(session)
    print(f"Released {sum(freed.values())} held seat(s) on {len(freed)} event(s).")
    return 0


def cmd_onsale(args: argparse.Namespace) -> int:
    """Create or steer a queued on-sale (waiting room)."""
    from datetime import datetime

    from jo_app.services.orders import onsales, waiting_room

    with _session() as session:
        if args.action == "create":
            try:
                opens_at = datetime.fromisoformat(args.opens_at)
            except (TypeError, ValueError):
                raise ValidationError("--opens-at must be an ISO date-time in UTC, e.g. 2026-12-05T09:00") from None
            events = tuple(int(e) for e in (args.events or "").split(",") if e.strip())
            onsale_id = onsales.create_onsale(session, None, onsales.OnSaleInput(
                name=args.name or "", opens_at=opens_at.replace(tzinfo=None), rate_per_minute=args.rate,
                pass_minutes=args.pass_minutes, event_ids=events))
            print(f"On-sale {onsale_id} created for events {list(events)}.")
            return 0
        if args.id is None:
            raise ValidationError("--id is required for this action.")
        if args.action == "rate":
            onsales.set_rate(session, None, args.id, args.rate)
        elif args.action in ("pause", "resume"):
            onsales.set_paused(session, None, args.id, args.action == "pause")
        elif args.action == "close":
            onsales.close(session, None, args.id)
        figures = waiting_room.tick(session, args.id)
    print(f"On-sale {figures.onsale_id}: opened={figures.opened} paused={figures.paused} closed={figures.closed} "
          f"rate={figures.rate_per_minute}/min waiting={figures.waiting} admitted={figures.admitted} "
          f"seats held={figures.seats_held} sold={figures.seats_sold} drain≈{figures.drain_seconds}s")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from jo_app.logging_setup import configure_logging
    from jo_app.services import job_worker

    configure_logging()
    print(f"Ran {job_worker.serve(once=args.once)} job(s).")
    return 0


# --- Parser --------------------------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m jo_app.cli", description="JO E-Tickets operator commands.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler)
        return command

    add("migrate", cmd_migrate, "Apply the database migrations (alembic upgrade).").add_argument(
        "--revision", default="head", help="target revision (default: head)")
    seed = add("seed-demo", cmd_seed_demo, "Create the demo catalogue and accounts (idempotent).")
    seed.add_argument("--today", help="install day YYYY-MM-DD the session dates are relative to (default: today)")
    seed.add_argument("--with-accounts", action="store_true", help="create the demo accounts even in production")
    add("demo-accounts", cmd_demo_accounts, "Print the demo accounts and their passwords.")
    create = add("create-user", cmd_create_user, "Create a verified account (password prompted when omitted).")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="prompted (not echoed) when omitted")
    create.add_argument("--role", required=True, choices=ROLE_CHOICES)
    create.add_argument("--first-name")
    create.add_argument("--last-name")
    role = add("set-role", cmd_set_role, "Change the role of an account.")
    role.add_argument("--email", required=True)
    role.add_argument("--role", required=True, choices=ROLE_CHOICES)
    add("rotate-signing-key", cmd_rotate_signing_key, "Create a new active ticket signing key.")
    add("retire-signing-key", cmd_retire_signing_key, "Retire a rotated-out signing key.").add_argument(
        "--kid", type=int, required=True, help="key id (see list-signing-keys)")
    add("list-signing-keys", cmd_list_signing_keys, "List the ticket signing keys.").add_argument(
        "--all", action="store_true", help="include retired keys")
    add("release-expired-holds", cmd_release_expired_holds,
        "Release the seats of expired cart holds (the app also does it every HOLD_SWEEP_SECONDS).")
    onsale = add("onsale", cmd_onsale, "Queued on-sale (waiting room): create, rate, pause, resume, close, status.")
    onsale.add_argument("action", choices=("create", "rate", "pause", "resume", "close", "status"))
    onsale.add_argument("--id", type=int, help="on-sale id (all actions but create)")
    onsale.add_argument("--name", help="create: a name for the on-sale")
    onsale.add_argument("--opens-at", help="create: opening time, ISO 8601 in UTC (e.g. 2026-12-05T09:00)")
    onsale.add_argument("--events", help="create: comma-separated event ids")
    onsale.add_argument("--rate", type=int, default=600, help="visitors let in per minute (create, rate)")
    onsale.add_argument("--pass-minutes", type=int, default=15, help="create: how long a pass lasts")
    add("worker", cmd_worker, "Send queued mails (outbox jobs).").add_argument("--once", action="store_true")
    add("check-config", cmd_check_config, "Check that the configuration is safe for the environment.")
    add("sport-images", cmd_sport_images, "Regenerate the sport illustrations (assets/sports).").add_argument(
        "--directory", help="output folder (default: assets/sports)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        get_settings().check_secret_not_published()  # nothing is signed or encrypted under a published key
        return args.handler(args)
    except (DomainError, ConfigurationError) as exc:
        print(f"Error: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
