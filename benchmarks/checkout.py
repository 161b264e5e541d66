"""Checkout throughput and the sold-out race on a throw-away PostgreSQL database (prints figures; not a test).

    .venv/bin/python -m benchmarks.checkout [--seats 2000] [--threads 16] [--processes 1] [--race-seats 50]
                                            [--race-buyers 200]

1. One hot event with `--seats` seats and as many buyers, each with one solo pack in the cart; `--threads`
   threads check out as fast as they can (each its own session and connection). Prints orders/s, p50/p99.
2. Sold-out race: `--race-buyers` buyers released together for `--race-seats` seats; prints how many sold.
Both check that seats_sold equals the persons on the tickets and never exceeds capacity.
"""

from __future__ import annotations

import argparse
import os
import secrets
import threading
import time
from datetime import timedelta

os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from benchmarks.common import drive, make_event, make_offer, percentile, temp_database
from jo_app.models import Cart, CartItem, Event, Order, Ticket, User
from jo_app.services import checkout, keys
from jo_app.services.errors import ConflictError
from jo_app.services.payment import PaymentCard
from jo_app.timeutil import utcnow

CARD = PaymentCard("4242 4242 4242 4242", 12, utcnow().year + 2, "123", "Bench Buyer")


def seed(engine: Engine, capacity: int, buyers: int) -> tuple[int, list[int]]:
    """An event with one solo offer, and `buyers` users each holding one solo pack in their cart."""
    with Session(engine) as s:
        event = make_event(s, capacity=capacity, starts_at=utcnow() + timedelta(days=3))
        offer = make_offer(s, event, offer_type="solo", price_cents=5000)
        tag = secrets.token_hex(4)
        s.execute(insert(User), [
            {"username": f"b{tag}{i}", "email": f"b{tag}{i}@example.test", "first_name": "Bench",
             "last_name": f"Buyer{i}", "password_hash": "!", "security_key": keys.generate_user_key(),
             "role": "visitor", "is_verified": True, "created_at": utcnow(), "totp_enabled": False}
            for i in range(buyers)
        ])
        user_ids = list(s.execute(select(User.id).where(User.username.like(f"b{tag}%")).order_by(User.id)).scalars())
        now = utcnow()
        s.execute(insert(Cart), [{"user_id": uid, "created_at": now, "updated_at": now} for uid in user_ids])
        carts = s.execute(select(Cart.id).where(Cart.user_id.in_(user_ids))).scalars().all()
        s.execute(insert(CartItem), [{"cart_id": cid, "offer_id": offer.id, "quantity": 1, "added_at": now}
                                     for cid in carts])
        s.commit()
        return event.id, user_ids


def check_event(engine: Engine, event_id: int) -> tuple[int, int, int]:
    """(capacity, seats_sold, persons on tickets) of an event."""
    with Session(engine) as s:
        capacity, sold = s.execute(select(Event.capacity, Event.seats_sold).where(Event.id == event_id)).one()
        persons = s.execute(select(func.coalesce(func.sum(Ticket.persons), 0))
                            .where(Ticket.event_id == event_id, Ticket.status != "cancelled")).scalar_one()
        return capacity, sold, int(persons)


def throughput(engine: Engine, seats: int, threads: int, processes: int = 1) -> None:
    event_id, user_ids = seed(engine, seats, seats)

    def buy(session: Session, uid: int) -> str:
        try:
            checkout.checkout(session, uid, CARD, idempotency_key=f"bench-{uid}")
        except Exception as exc:  # counted and reported
            return f"error: {exc!r}"[:160]
        return "paid"

    run = drive(engine, user_ids, threads=threads, processes=processes, call=buy)
    paid = run["outcomes"]["paid"]
    latencies = run["latencies"]
    capacity, sold, persons = check_event(engine, event_id)
    with Session(engine) as s:
        orders = s.execute(select(func.count()).select_from(Order)).scalar_one()
    oversold = max(0, sold - capacity) + abs(sold - persons)
    print(f"checkout: {paid / run['elapsed']:.0f} orders/s at concurrency {threads} ({processes} client "
          f"process(es)) on one hot event ({paid} orders in {run['elapsed']:.1f} s), "
          f"p50 {percentile(latencies, 50) * 1000:.1f} ms, p99 {percentile(latencies, 99) * 1000:.1f} ms, "
          f"oversold: {oversold}")
    failures = {label: n for label, n in run["outcomes"].items() if label != "paid"}
    print(f"  seats_sold {sold}/{capacity}, ticket persons {persons}, orders {orders}, errors "
          f"{sum(failures.values())}" + (f" (first: {next(iter(failures))})" if failures else ""))


def sold_out_race(engine: Engine, seats: int, buyers: int) -> None:
    event_id, user_ids = seed(engine, seats, buyers)
    barrier = threading.Barrier(len(user_ids))
    outcomes: list[str] = []
    lock = threading.Lock()

    def buyer(uid: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait(timeout=60)
            try:
                checkout.checkout(session, uid, CARD, idempotency_key=f"race-{uid}")
                outcome = "paid"
            except ConflictError as exc:
                outcome = exc.code
            except Exception as exc:  # reported
                outcome = f"error {exc!r}"
        with lock:
            outcomes.append(outcome)

    pool = [threading.Thread(target=buyer, args=(uid,)) for uid in user_ids]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - start
    capacity, sold, persons = check_event(engine, event_id)
    others = sorted({o for o in outcomes if o not in ("paid", "sold_out")})
    print(f"sold-out race: {buyers} buyers for {capacity} seats -> sold {sold} ({outcomes.count('paid')} paid, "
          f"{outcomes.count('sold_out')} sold_out, {len(others)} other), ticket persons {persons}, "
          f"oversold: {max(0, sold - capacity) + abs(sold - persons)}, {wall:.1f} s")
    for other in others[:3]:
        print("  unexpected:", other)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seats", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--race-seats", type=int, default=50)
    parser.add_argument("--race-buyers", type=int, default=200)
    parser.add_argument("--processes", type=int, default=1,
                        help="client processes sharing the --threads buyers (default 1: all threads in this one)")
    args = parser.parse_args()
    with temp_database(pool_size=max(args.threads, 20), max_overflow=0) as engine:
        throughput(engine, args.seats, args.threads, args.processes)
        sold_out_race(engine, args.race_seats, args.race_buyers)


if __name__ == "__main__":
    main()
