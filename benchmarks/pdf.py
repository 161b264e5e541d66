"""Ticket PDF cost: render (uncached) vs served from the file cache, on a fresh PostgreSQL database.

Run: `.venv/bin/python -m benchmarks.pdf [--tickets 50]`
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from sqlmodel import Session

from benchmarks.common import bulk_tickets, make_event, make_offer, make_order, make_user, percentile, temp_database
from jo_app.config import get_settings
from jo_app.services.tickets.render import cached_ticket_pdf, load_ticket_document, qr_png, ticket_pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="jo_bench_cache_") as cache, temp_database() as engine:
        os.environ["CACHE_DIR"] = cache
        get_settings.cache_clear()
        with Session(engine, expire_on_commit=False) as session:
            visitor = make_user(session, first_name="Zoë", last_name="Łukasiewicz")
            event = make_event(session, title="Athlétisme — Finale 100 m hommes")
            offer = make_offer(session, event, offer_type="family")
            order = make_order(session, visitor)
            ids = bulk_tickets(session, order, offer, visitor, args.tickets)
            session.commit()
            documents = [load_ticket_document(session, ticket_id) for ticket_id in ids]  # signs + stores payloads
            ticket_pdf(documents[0])  # warm-up (font loading)

            render, sizes = [], []
            for document in documents:
                start = time.perf_counter()
                sizes.append(len(ticket_pdf(document)))
                render.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            for document in documents:
                qr_png(document.payload)
            png_ms = (time.perf_counter() - start) * 1000 / len(documents)

            first, cached = [], []
            for ticket_id in ids:  # load from DB + render + atomic write
                start = time.perf_counter()
                cached_ticket_pdf(session, ticket_id)
                first.append((time.perf_counter() - start) * 1000)
            for ticket_id in ids:  # load from DB + read the cached file
                start = time.perf_counter()
                cached_ticket_pdf(session, ticket_id)
                cached.append((time.perf_counter() - start) * 1000)

    mean = sum(render) / len(render)
    print(f"pdf: {mean:.1f} ms per ticket PDF uncached (render only, p50 {percentile(render, 50):.1f}, "
          f"p99 {percentile(render, 99):.1f}; {sum(sizes) / len(sizes) / 1024:.0f} KB each, {len(ids)} tickets), "
          f"{sum(first) / len(first):.1f} ms first request (DB + render + write), "
          f"{sum(cached) / len(cached):.1f} ms cached (DB + file read); QR PNG {png_ms:.1f} ms")


if __name__ == "__main__":
    main()
