"""Cost of the owner's live QR (what one open ticket page asks the server every 15 s) and of checking a live code
at the gate, on a throw-away PostgreSQL database. Prints figures; asserts nothing.

Usage: `python -m benchmarks.live_qr [--tickets 200] [--rounds 3]`
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from sqlmodel import Session

from benchmarks.common import make_event, make_offer, make_order, make_ticket, make_user, percentile, temp_database
from jo_app.services.tickets import live_ticket, rotating_qr
from jo_app.services.tickets.tokens import ensure_payload
from jo_app.timeutil import utcnow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with temp_database() as engine, Session(engine, expire_on_commit=False) as session:
        user = make_user(session)
        event = make_event(session)
        offer = make_offer(session, event, offer_type="duo")
        order = make_order(session, user)
        tickets = [make_ticket(session, order, offer, user, index=i + 1) for i in range(args.tickets)]
        for ticket in tickets:
            ensure_payload(session, ticket)
        session.commit()
        now = utcnow()
        requests: list[float] = []
        for round_ in range(args.rounds):  # a new 15 s step each round: no memoised image
            at = now + timedelta(seconds=15 * round_)
            for ticket in tickets:
                started = time.perf_counter()
                live_ticket.live_png(session, user.id, ticket.id, now=at)
                requests.append((time.perf_counter() - started) * 1000)
        checks: list[float] = []
        texts = [live_ticket.live_text(session, user.id, t.id, now=now) for t in tickets]
        for text in texts:
            static, code = rotating_qr.split(text)
            claims_event, qr_id = event.id, next(t.qr_id for t in tickets if t.qr_payload == static)
            started = time.perf_counter()
            assert rotating_qr.code_is_fresh(claims_event, qr_id, code, now)
            checks.append((time.perf_counter() - started) * 1000)
    print(f"live QR image per request (ownership query + HMAC + QR render), n={len(requests)}: "
          f"p50 {percentile(requests, 50):.1f} ms, p95 {percentile(requests, 95):.1f} ms")
    print(f"=> one open ticket page costs ~{percentile(requests, 50) / 15 / 10:.3f} % of a core "
          f"(one request per 15 s)")
    print(f"gate: time-code check of a live QR, n={len(checks)}: p50 {percentile(checks, 50) * 1000:.0f} us, "
          f"p95 {percentile(checks, 95) * 1000:.0f} us")


if __name__ == "__main__":
    main()
