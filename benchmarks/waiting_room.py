"""Waiting-room service costs on a throw-away PostgreSQL database (prints figures; not a test).

    .venv/bin/python -m benchmarks.waiting_room [--visitors 20000] [--threads 16]

1. joins before the opening: `--visitors` accounts join (threads, one connection each): joins/s;
2. the opening draw: a random permutation of every early visitor's place (one transaction): its time;
3. a tick (admissions at the current rate): its time, independent of the queue length; the admins' live figures;
4. status polls: `--threads` threads asking their place again and again (what each waiting page or API client
   does today, until the broadcast): polls/s;
5. joins after the opening (arrival order): joins/s.
Checks that the places are exactly 1..N.
"""

from __future__ import annotations

import argparse
import os
import secrets
import time
from datetime import timedelta

os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from sqlalchemy import func, insert, select
from sqlmodel import Session

from benchmarks.common import drive, make_event, percentile, temp_database
from jo_app.models import QueueEntry, User
from jo_app.services import keys
from jo_app.services.orders import onsales, waiting_room
from jo_app.timeutil import utcnow


def seed_users(engine, count: int) -> list[int]:
    tag = secrets.token_hex(4)
    with Session(engine) as s:
        s.execute(insert(User), [
            {"username": f"w{tag}{i}", "email": f"w{tag}{i}@example.test", "first_name": "Fan", "last_name": str(i),
             "password_hash": "!", "security_key": keys.generate_user_key(), "role": "visitor",
             "is_verified": True, "created_at": utcnow(), "totp_enabled": False} for i in range(count)])
        s.commit()
        return list(s.execute(select(User.id).where(User.username.like(f"w{tag}%")).order_by(User.id)).scalars())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=20_000)
    parser.add_argument("--late", type=int, default=2_000, help="visitors joining after the opening")
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    with temp_database(pool_size=max(args.threads, 20), max_overflow=0) as engine:
        with Session(engine) as s:
            event = make_event(s, capacity=50_000, starts_at=utcnow() + timedelta(days=30))
            s.commit()
            onsale_id = onsales.create_onsale(s, None, onsales.OnSaleInput(
                name="Bench", opens_at=utcnow() + timedelta(days=1), rate_per_minute=6000, event_ids=(event.id,)))
        early, late = seed_users(engine, args.visitors), seed_users(engine, args.late)

        def join(session: Session, uid: int) -> str:
            waiting_room.join(session, uid, onsale_id)
            return "joined"

        run = drive(engine, early, threads=args.threads, call=join)
        print(f"joins before opening: {len(early) / run['elapsed']:.0f}/s ({len(early)} visitors, {args.threads} "
              f"threads), p50 {percentile(run['latencies'], 50) * 1000:.1f} ms, "
              f"p99 {percentile(run['latencies'], 99) * 1000:.1f} ms")
        with Session(engine) as s:
            start = time.perf_counter()
            assert waiting_room.open_if_due(s, onsale_id, now=utcnow() + timedelta(days=1))
            print(f"opening draw (random permutation of {len(early)} places): {time.perf_counter() - start:.2f} s")
            ticks, figures = [], []
            for i in range(50):
                start = time.perf_counter()
                waiting_room.tick_if_stale(s, onsale_id, now=utcnow() + timedelta(days=1, seconds=i + 1))
                ticks.append(time.perf_counter() - start)
                start = time.perf_counter()
                onsales.figures(s, onsale_id)
                figures.append(time.perf_counter() - start)
            print(f"tick (admissions, 50 ticks): p50 {percentile(ticks, 50) * 1000:.1f} ms, p99 "
                  f"{percentile(ticks, 99) * 1000:.1f} ms, independent of the queue length; admin figures (count the "
                  f"queue in SQL): p50 {percentile(figures, 50) * 1000:.1f} ms")

        def poll(session: Session, uid: int) -> str:
            return waiting_room.status(session, uid, onsale_id).state

        sample = early[: min(len(early), 8000)]
        run = drive(engine, sample, threads=args.threads, call=poll)
        print(f"status polls: {len(sample) / run['elapsed']:.0f}/s, p50 {percentile(run['latencies'], 50) * 1000:.1f}"
              f" ms, p99 {percentile(run['latencies'], 99) * 1000:.1f} ms; states {dict(run['outcomes'])}")
        run = drive(engine, late, threads=args.threads, call=join)
        print(f"joins after opening (arrival order): {len(late) / run['elapsed']:.0f}/s, "
              f"p99 {percentile(run['latencies'], 99) * 1000:.1f} ms")
        with Session(engine) as s:
            places = s.execute(select(func.count(), func.min(QueueEntry.position), func.max(QueueEntry.position),
                                      func.count(func.distinct(QueueEntry.position)))
                               .where(QueueEntry.onsale_id == onsale_id)).one()
        total = len(early) + len(late)
        assert tuple(places) == (total, 1, total, total), places
        print(f"places: {total} distinct, 1..{total}")


if __name__ == "__main__":
    main()
