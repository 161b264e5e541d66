"""Checkout throughput and the sold-out race on a throw-away PostgreSQL database (prints figures; not a test).

    .venv/bin/python -m benchmarks.checkout [--seats 2000] [--threads 16] [--processes 1] [--race-seats 50]
                                            [--race-buyers 200] [--mode all|checkout|hold|cost]

1. One hot event with `--seats` seats and as many buyers, each with one solo pack in the cart; `--threads`
   threads check out as fast as they can (each its own session and connection). Prints orders/s, p50/p99.
2. Sold-out race: `--race-buyers` buyers released together for `--race-seats` seats; prints how many sold.
3. Hold + pay (the web flow since seat holds): each buyer adds one solo pack to an empty cart (holding its seat),
   then pays; prints paid orders/s (one order = both calls) and the hold-race: `--race-buyers` buyers holding
   `--race-seats` seats at once.
4. Cost (`--mode cost`, also part of `all`): `--cost-orders` hold + pay orders one after the other on ONE connection;
   prints the client CPU and the PostgreSQL backend's CPU (from /proc) per call and per paid order, and what
   300 paid orders/s would need of this machine's cores.
All check that seats_sold equals the persons on the tickets and never exceeds capacity (seats_held back to 0).
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
from jo_app.db import make_engine
from jo_app.models import Cart, CartItem, Event, Order, Ticket, User
from jo_app.services import keys
from jo_app.services.errors import ConflictError, ValidationError
from jo_app.services.orders import cart, checkout
from jo_app.services.payment import PaymentCard
from jo_app.timeutil import utcnow

OFFER_IDS: dict[int, int] = {}
CARD = PaymentCard("4242 4242 4242 4242", 12, utcnow().year + 2, "123", "Bench Buyer")


def seed(engine: Engine, capacity: int, buyers: int, *, fill_carts: bool = True) -> tuple[int, list[int]]:
    """An event with one solo offer, and `buyers` users each with one solo pack in their cart (rows written
    directly, no hold) or, with `fill_carts=False`, an empty cart (the offer id is kept in OFFER_IDS)."""
    with Session(engine) as s:
        event = make_event(s, capacity=capacity, starts_at=utcnow() + timedelta(days=3))
        offer = make_offer(s, event, offer_type="solo", price_cents=5000)
        OFFER_IDS[event.id] = offer.id
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
        if fill_carts:
            s.execute(insert(CartItem), [{"cart_id": cid, "offer_id": offer.id, "quantity": 1, "added_at": now}
                                         for cid in carts])
        s.commit()
        return event.id, user_ids


def check_event(engine: Engine, event_id: int) -> tuple[int, int, int]:
    """(capacity, seats_sold, persons on tickets) of an event; seats_sold + seats_held within capacity."""
    with Session(engine) as s:
        capacity, sold, held = s.execute(select(Event.capacity, Event.seats_sold, Event.seats_held)
                                         .where(Event.id == event_id)).one()
        assert sold + held <= capacity, (sold, held, capacity)
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


def _race(buyer, user_ids: list[int]) -> float:
    """Run `buyer(uid)` in one thread per buyer (they meet at their own barrier); returns the wall time."""
    pool = [threading.Thread(target=buyer, args=(uid,)) for uid in user_ids]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - start


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

    wall = _race(buyer, user_ids)
    capacity, sold, persons = check_event(engine, event_id)
    others = sorted({o for o in outcomes if o not in ("paid", "sold_out")})
    print(f"sold-out race: {buyers} buyers for {capacity} seats -> sold {sold} ({outcomes.count('paid')} paid, "
          f"{outcomes.count('sold_out')} sold_out, {len(others)} other), ticket persons {persons}, "
          f"oversold: {max(0, sold - capacity) + abs(sold - persons)}, {wall:.1f} s")
    for other in others[:3]:
        print("  unexpected:", other)


def hold_and_pay(engine: Engine, seats: int, threads: int, processes: int = 1) -> None:
    event_id, user_ids = seed(engine, seats, seats, fill_carts=False)
    offer_id = OFFER_IDS[event_id]

    def buy(session: Session, uid: int) -> str:
        try:
            cart.add_item(session, uid, offer_id)  # holds the seat
            checkout.checkout(session, uid, CARD, idempotency_key=f"hold-{uid}")
        except Exception as exc:  # counted and reported
            return f"error: {exc!r}"[:160]
        return "paid"

    run = drive(engine, user_ids, threads=threads, processes=processes, call=buy)
    paid = run["outcomes"]["paid"]
    latencies = run["latencies"]
    capacity, sold, persons = check_event(engine, event_id)
    with Session(engine) as s:
        held = s.execute(select(Event.seats_held).where(Event.id == event_id)).scalar_one()
    oversold = max(0, sold - capacity) + abs(sold - persons)
    print(f"hold + pay: {paid / run['elapsed']:.0f} paid orders/s at concurrency {threads} ({processes} client "
          f"process(es)) on one hot event ({paid} orders in {run['elapsed']:.1f} s; each = add to cart with hold, "
          f"then checkout), p50 {percentile(latencies, 50) * 1000:.1f} ms, p99 {percentile(latencies, 99) * 1000:.1f}"
          f" ms, oversold: {oversold}, seats still held: {held}")
    failures = {label: n for label, n in run["outcomes"].items() if label != "paid"}
    if failures:
        print(f"  errors {sum(failures.values())} (first: {next(iter(failures))})")


def hold_race(engine: Engine, seats: int, buyers: int) -> None:
    event_id, user_ids = seed(engine, seats, buyers, fill_carts=False)
    offer_id = OFFER_IDS[event_id]
    barrier = threading.Barrier(len(user_ids))
    outcomes: list[str] = []
    lock = threading.Lock()

    def buyer(uid: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait(timeout=60)
            try:
                cart.add_item(session, uid, offer_id)
                outcome = "held"
            except ValidationError as exc:
                outcome = exc.code
            except Exception as exc:  # reported
                outcome = f"error {exc!r}"
        with lock:
            outcomes.append(outcome)

    wall = _race(buyer, user_ids)
    with Session(engine) as s:
        capacity, held = s.execute(select(Event.capacity, Event.seats_held).where(Event.id == event_id)).one()
    others = sorted({o for o in outcomes if o not in ("held", "sold_out")})
    print(f"hold race: {buyers} buyers for {capacity} seats -> held {held} ({outcomes.count('held')} holds, "
          f"{outcomes.count('sold_out')} sold_out, {len(others)} other), over capacity: {max(0, held - capacity)}, "
          f"{wall:.1f} s")
    for other in others[:3]:
        print("  unexpected:", other)


def _backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a local PostgreSQL backend, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cost(engine: Engine, orders: int) -> None:
    event_id, user_ids = seed(engine, orders, orders, fill_carts=False)
    offer_id = OFFER_IDS[event_id]
    single = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1, max_overflow=0)
    with Session(single, expire_on_commit=False) as session:  # one pooled connection: one backend to read
        pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        session.rollback()
        for uid in user_ids[:20]:  # warm-up (statement caches, first-use imports)
            cart.add_item(session, uid, offer_id)
            checkout.checkout(session, uid, CARD, idempotency_key=f"cost-{uid}")
        spent = {"add": [0.0, 0.0, 0.0], "pay": [0.0, 0.0, 0.0]}  # client CPU, server CPU, wall
        for uid in user_ids[20:]:
            for step in ("add", "pay"):
                client, server, wall = time.process_time(), _backend_cpu(pid), time.perf_counter()
                if step == "add":
                    cart.add_item(session, uid, offer_id)
                else:
                    checkout.checkout(session, uid, CARD, idempotency_key=f"cost-{uid}")
                spent[step][0] += time.process_time() - client
                spent[step][1] += _backend_cpu(pid) - server
                spent[step][2] += time.perf_counter() - wall
    single.dispose()
    n = len(user_ids) - 20
    per = {step: [value / n * 1000 for value in values] for step, values in spent.items()}
    total = sum(per["add"][:2]) + sum(per["pay"][:2])
    print(f"cost, one connection, {n} hold + pay orders: add with hold {per['add'][0]:.2f} ms client CPU + "
          f"{per['add'][1]:.2f} ms PostgreSQL CPU ({per['add'][2]:.2f} ms wall); checkout {per['pay'][0]:.2f} + "
          f"{per['pay'][1]:.2f} ms ({per['pay'][2]:.2f} ms wall); per paid order {total:.2f} ms of CPU: 300 paid "
          f"orders/s need {total * 300 / 1000:.2f} cores (this machine: {os.cpu_count()})")
    _capacity, sold, persons = check_event(engine, event_id)
    assert sold == persons == len(user_ids), (sold, persons)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seats", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--race-seats", type=int, default=50)
    parser.add_argument("--race-buyers", type=int, default=200)
    parser.add_argument("--processes", type=int, default=1,
                        help="client processes sharing the --threads buyers (default 1: all threads in this one)")
    parser.add_argument("--mode", choices=("all", "checkout", "hold", "cost"), default="all",
                        help="checkout: pay carts filled beforehand; hold: add to cart (hold) then pay; cost: CPU "
                             "per call, sequential; all: every one")
    parser.add_argument("--cost-orders", type=int, default=500)
    args = parser.parse_args()
    with temp_database(pool_size=max(args.threads, 20), max_overflow=0) as engine:
        if args.mode in ("all", "checkout"):
            throughput(engine, args.seats, args.threads, args.processes)
            sold_out_race(engine, args.race_seats, args.race_buyers)
        if args.mode in ("all", "hold"):
            hold_and_pay(engine, args.seats, args.threads, args.processes)
            hold_race(engine, args.race_seats, args.race_buyers)
        if args.mode in ("all", "cost"):
            cost(engine, args.cost_orders)


if __name__ == "__main__":
    main()
