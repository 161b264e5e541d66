"""Gate throughput and exactly-once admission on a fresh PostgreSQL database.

Run: `.venv/bin/python -m benchmarks.gate [--tickets 3000] [--threads 16] [--race-tickets 20]`
1. issues N signed tickets, then `threads` workers (each its own Session/connection, like gate devices) validate
   distinct tickets as fast as possible: validations/s, p50/p99 latency, VALID count per ticket (must be 1);
2. race: `threads` workers released together scan the SAME ticket, repeated on several tickets (VALID must be 1).
"""

from __future__ import annotations

import argparse
import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from benchmarks.common import (
    bulk_tickets,
    drive,
    make_event,
    make_offer,
    make_order,
    make_user,
    percentile,
    temp_database,
)
from jo_app.models import Role, ScanAttempt, ScanVerdict, Ticket, TicketStatus
from jo_app.services.gate.admission import validate_scan
from jo_app.services.tickets.tokens import encode_ticket
from jo_app.timeutil import utcnow


def issue_tickets(engine: Engine, count: int) -> tuple[int, list[str]]:
    """(employee id, payloads) for `count` fresh signed tickets of one event starting in an hour."""
    with Session(engine, expire_on_commit=False) as session:
        employee = make_user(session, role=Role.EMPLOYEE)
        visitor = make_user(session)
        event = make_event(session, starts_at=utcnow() + timedelta(hours=1))
        offer = make_offer(session, event)
        order = make_order(session, visitor)
        ids = bulk_tickets(session, order, offer, visitor, count)
        session.commit()
        tickets = session.execute(select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id)).scalars().all()
        payloads = [encode_ticket(session, t) for t in tickets]
        session.execute(update(Ticket), [{"id": t.id, "qr_payload": p} for t, p in zip(tickets, payloads,
                                                                                       strict=True)])
        session.commit()
        return employee.id, payloads


def throughput(engine: Engine, employee_id: int, payloads: list[str], threads: int, processes: int = 1) -> dict:
    """Every payload validated once by `threads` devices (over `processes` client processes)."""

    def scan(session: Session, payload: str) -> str:
        return validate_scan(session, payload, employee_id=employee_id, gate="Bench lane").verdict.value

    return drive(engine, payloads, threads=threads, processes=processes, call=scan)


def race(engine: Engine, employee_id: int, payload: str, threads: int) -> Counter[str]:
    barrier = threading.Barrier(threads)
    verdicts: Counter[str] = Counter()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(lane: int) -> None:
        try:
            with Session(engine) as session:
                barrier.wait()
                result = validate_scan(session, payload, employee_id=employee_id, gate=f"Race {lane}")
            with lock:
                verdicts[result.verdict.value] += 1
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(lane,)) for lane in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if errors:
        raise errors[0]
    return verdicts


def valid_per_ticket(engine: Engine) -> tuple[int, int]:
    """(max, min) number of VALID scan attempts per admitted ticket, from the database."""
    with Session(engine) as session:
        counts = session.execute(select(func.count()).where(ScanAttempt.verdict == ScanVerdict.VALID.value)
                                 .group_by(ScanAttempt.ticket_id)).scalars().all()
    return (max(counts), min(counts)) if counts else (0, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--race-tickets", type=int, default=20)
    parser.add_argument("--processes", type=int, default=1,
                        help="client processes sharing the --threads devices (default 1: all threads in this one)")
    args = parser.parse_args()

    with temp_database(pool_size=args.threads + 2, max_overflow=4) as engine:
        employee_id, payloads = issue_tickets(engine, args.tickets + args.race_tickets)
        distinct, racing = payloads[:args.tickets], payloads[args.tickets:]

        run = throughput(engine, employee_id, distinct, args.threads, args.processes)
        latencies = [s * 1000 for s in run["latencies"]]
        with Session(engine) as session:
            used = session.execute(select(func.count()).where(Ticket.status == TicketStatus.USED.value)).scalar_one()
        high, _low = valid_per_ticket(engine)
        rate = len(latencies) / run["elapsed"]
        print(f"gate: {rate:.1f} validations/s at concurrency {args.threads} ({args.processes} client process(es)), "
              f"p50 {percentile(latencies, 50):.1f} ms, "
              f"p99 {percentile(latencies, 99):.1f} ms, VALID per ticket: {high} (max); "
              f"{used}/{len(distinct)} tickets admitted, verdicts {dict(run['outcomes'])}")

        outcomes = [race(engine, employee_id, payload, args.threads) for payload in racing]
        valid_counts = [o[ScanVerdict.VALID.value] for o in outcomes]
        already = [o[ScanVerdict.ALREADY_USED.value] for o in outcomes]
        print(f"gate race: {args.threads} devices scan the same ticket, x{len(racing)} tickets: VALID per ticket "
              f"min {min(valid_counts)} max {max(valid_counts)} (must be 1), ALREADY_USED per ticket "
              f"{min(already)}-{max(already)}")
        if high != 1 or set(valid_counts) != {1}:
            raise SystemExit("FAILED: a ticket was admitted more than once (or never)")


if __name__ == "__main__":
    main()
