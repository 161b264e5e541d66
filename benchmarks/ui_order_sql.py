"""The database side of one UI order, without Reflex: what the three websocket handlers run in their worker thread.

Run: `.venv/bin/python -m benchmarks.ui_order_sql [--orders 300] [--rounds 5]`

One visitor, one pooled connection, on a fresh PostgreSQL database holding the demo catalogue: add a pack to the cart
(`CartState.add`'s `_change_in`), read the cart for the payment page (`CheckoutState.load`'s `_quote_in`, autocommit
reads) and pay (`CheckoutState.pay`'s `_pay_in`), in a loop. Prints per order: this process's CPU (SQLAlchemy,
psycopg, the services), the PostgreSQL backend's CPU, and the statements sent (each a round trip; the BEGIN of the
two write transactions and their final batched message apart). A steadier A/B on a busy machine than the live
benchmark (`benchmarks.live_ui`): no event loop, no sockets, no other client; the median of the rounds is the figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from sqlalchemy import event, text

from benchmarks.common import temp_database
from benchmarks.http import _cpu_seconds
from benchmarks.live_ui import seed
from jo_app.db import autocommit_reads, session_scope
from jo_app.services import payment
from jo_app.state.orders.cart import _change_in
from jo_app.state.orders.checkout import _pay_in, _quote_in

CARD = payment.PaymentCard(number="4242424242424242", exp_month=12, exp_year=2039, cvc="123", holder="Marie Curie")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=300, help="orders per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with temp_database(pool_size=1) as engine:
        users, _event_id, offer_id, _events = seed(engine, 1, 200_000)
        user_id = users[1]

        def order() -> None:
            with session_scope(engine) as session:
                _change_in(session, user_id, "add", offer_id, 1, [])
            with session_scope(engine) as session:
                autocommit_reads(session)
                _quote_in(session, user_id)
            with session_scope(engine) as session:
                result, _key = _pay_in(session, user_id, CARD, "", "127.0.0.1", [])
                assert result.created

        for _ in range(30):  # warm up: compiled statement caches, prepared statements
            order()
        statements: list[str] = []

        def seen(_conn, _cursor, statement, *_args) -> None:
            statements.append(" ".join(statement.split()[:3]))

        event.listen(engine, "before_cursor_execute", seen)
        order()
        event.remove(engine, "before_cursor_execute", seen)
        with engine.connect() as connection:
            backends = list(connection.execute(text(  # the pool's one connection: the orders' backend
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars())
        client, database = [], []
        for _ in range(args.rounds):
            pg_before, before = sum(_cpu_seconds(pid) for pid in backends), time.process_time()
            for _ in range(args.orders):
                order()
            client.append((time.process_time() - before) / args.orders * 1000)
            database.append((sum(_cpu_seconds(pid) for pid in backends) - pg_before) / args.orders * 1000)
        load = os.getloadavg()
        print(f"UI order, database side ({args.rounds} x {args.orders} orders, "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {load[0]:.1f}):")
        print(f"  statements per order: {len(statements)} (+ 2 BEGIN, + 2 messages of batched writes and COMMIT): "
              + "; ".join(statements))
        print(f"  client CPU per order: median {statistics.median(client):.2f} ms (min {min(client):.2f}); "
              f"PostgreSQL CPU per order: median {statistics.median(database):.2f} ms (min {min(database):.2f})")
        print("  rounds (client / PostgreSQL ms): " + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(client, database,
                                                                                                strict=True)))


if __name__ == "__main__":
    main()
