"""Backups: scripts/backup.sh makes a dated, compressed custom-format dump with retention; scripts/restore.sh
restores it into an EMPTY database where every order and ticket is found again and tickets still scan."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from sqlalchemy import func, text
from sqlmodel import Session, select

from jo_app.db import make_engine
from jo_app.models import Order, OrderStatus, Ticket, User
from jo_app.services.gate import admission as gate
from jo_app.services.tickets import signing
from jo_app.services.tickets.tokens import ensure_payload
from tests.deploy.conftest import ROOT, add_visitor, app_env, build_shop, buy

BACKUP = ROOT / "scripts" / "backup.sh"
RESTORE = ROOT / "scripts" / "restore.sh"


def _orders(engine) -> set[tuple]:
    with Session(engine) as session:
        rows = session.exec(select(Order.reference, Order.status, Order.total_cents, Order.purchase_key, User.email)
                            .join(User, User.id == Order.user_id)).all()
        return {tuple(row) for row in rows}


def _tickets(engine) -> set[tuple]:
    with Session(engine) as session:
        rows = session.exec(select(Ticket.number, Order.reference, Ticket.persons, Ticket.status, Ticket.ticket_key,
                                   Ticket.qr_id, Ticket.qr_payload).join(Order, Order.id == Ticket.order_id)).all()
        return {tuple(row) for row in rows}


def _run(script: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(script), *args], cwd=ROOT, env=app_env(**env), capture_output=True,
                          text=True, timeout=120)


def test_backup_then_restore_into_an_empty_database_finds_every_order_and_ticket(pg_database, tmp_path):
    source_url = pg_database("jo_bk_src", tables="migrate")
    source = make_engine(source_url, pool_size=2, max_overflow=0)
    shop = build_shop(source, visitors=3, orders_each=2)
    with Session(source, expire_on_commit=False) as session:  # QR payloads signed with the deployment's key
        for ticket in session.exec(select(Ticket)).all():
            ensure_payload(session, ticket)
        session.commit()
    orders, tickets = _orders(source), _tickets(source)
    assert len(orders) == 6 and len(tickets) == 1 + 2 + 1 + 2 + 1 + 2
    assert all(status == OrderStatus.PAID.value for _, status, *_ in orders)

    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "jo_etickets_old_2020-01-01T000000Z.dump"   # past the retention: deleted
    old.write_bytes(b"old")
    recent = backups / "jo_etickets_recent_2020-01-02T000000Z.dump"  # within it: kept
    recent.write_bytes(b"recent")
    foreign = backups / "notes.txt"  # not ours: never touched
    foreign.write_text("keep")
    for path in (old, foreign):
        stamp = time.time() - 20 * 86400
        os.utime(path, (stamp, stamp))
    stamp = time.time() - 5 * 86400
    os.utime(recent, (stamp, stamp))

    done = _run(BACKUP, DATABASE_URL=source_url, BACKUP_DIR=str(backups), BACKUP_RETENTION_DAYS="14")
    assert done.returncode == 0, done.stderr
    dumps = sorted(p for p in backups.glob("jo_etickets_*.dump") if p not in (recent,))
    assert len(dumps) == 1, dumps
    dump = dumps[0]
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert dump.name.startswith(f"jo_etickets_{source_url.rsplit('/', 1)[1]}_{today}T")
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump custom format (compressed)
    assert (backups / (dump.name + ".sha256")).exists()
    assert not old.exists() and recent.exists() and foreign.exists()
    assert not list(backups.glob("*.partial"))

    target_url = pg_database("jo_bk_dst")  # empty
    restored = _run(RESTORE, str(dump), target_url)
    assert restored.returncode == 0, restored.stderr
    assert "6 orders, 9 tickets" in restored.stdout

    target = make_engine(target_url, pool_size=2, max_overflow=0)
    try:
        assert _orders(target) == orders
        assert _tickets(target) == tickets
        with target.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            seats = conn.execute(text("SELECT seats_sold FROM events WHERE id = :id"), {"id": shop.event_id}).scalar()
            persons = conn.execute(text("SELECT sum(persons) FROM tickets")).scalar()
        assert seats == persons == 18

        # The restored database is fully usable: sequences continue (a new checkout), and a restored ticket
        # passes the gate (its signature verifies with the restored, SECRET_KEY-encrypted signing key).
        signing.clear_cache()
        with Session(target, expire_on_commit=False) as session:
            new_user = add_visitor(session, "after-restore-")
            result = buy(session, new_user, shop.offer_id)
            assert result.order_id > max(shop.order_ids)
            ticket = session.get(Ticket, shop.ticket_ids[0])
            scan = gate.validate_scan(session, ticket.qr_payload, employee_id=shop.employee_id, gate="Porte A")
            assert scan.verdict == "VALID", scan
        signing.clear_cache()

        # A second restore into the (now non-empty) database is refused and changes nothing.
        again = _run(RESTORE, str(dump), target_url)
        assert again.returncode == 3 and "not empty" in again.stderr
        with Session(target) as session:
            assert session.exec(select(func.count()).select_from(Order)).one() == 7
    finally:
        target.dispose()
        source.dispose()


def test_restore_refuses_a_corrupted_dump(pg_database, tmp_path):
    source_url = pg_database("jo_bk_src", tables="create_all")
    backups = tmp_path / "b"
    assert _run(BACKUP, DATABASE_URL=source_url, BACKUP_DIR=str(backups)).returncode == 0
    dump = next(backups.glob("*.dump"))
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    target_url = pg_database("jo_bk_dst")
    result = _run(RESTORE, str(dump), target_url)
    assert result.returncode == 2 and "checksum mismatch" in result.stderr
    target = make_engine(target_url, pool_size=1, max_overflow=0)
    with target.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar() == 0
    target.dispose()
