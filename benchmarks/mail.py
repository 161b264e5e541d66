"""CPU of the order confirmation mail job (issue 12), measured in the job worker's process, on PostgreSQL.

    .venv/bin/python -m benchmarks.mail [--orders 60] [--packs solo,duo,family] [--lang fr] [--smtp-port 3401]
                                        [--static-qr on|off] [--profile out.prof]

Seeds a throw-away database (one event with solo, duo and family offers), places `--orders` real orders through
the services (add to cart, pay; each order holds one pack of each type in `--packs`), each of which queues its
`order_confirmation` job. Then runs the jobs one by one with the worker's own `run_one` (claim, order read,
ticket payload signing and PDFs, the .eml build, delivery, completion) and prints the worker's `process_time`
per job (p50 / mean, all its threads) with its wall time. Delivery goes over SMTP to a sink in a separate
process (`--smtp-port`, aiosmtpd, its CPU not counted), or with `--smtp-port 0` to the outbox folder (files).
The first `--warmup` jobs (fonts, imports, statement caches) are not counted. `--profile FILE` writes a cProfile
of the measured jobs. `--cache-files N` first puts N other tickets' files in the PDF cache folder.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from datetime import timedelta

os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from sqlalchemy import func, select, update
from sqlmodel import Session

from benchmarks.common import make_event, make_offer, make_user, percentile, temp_database
from jo_app.config import get_settings
from jo_app.models import User
from jo_app.models.jobs import OutboxJob as Job
from jo_app.services import job_worker
from jo_app.services.orders import cart, checkout
from jo_app.services.payment import PaymentCard
from jo_app.timeutil import utcnow

CARD = PaymentCard("4242 4242 4242 4242", 12, utcnow().year + 2, "123", "Bench Buyer")


def _sink(port: int, ready) -> None:  # the SMTP server of the run: accepts and drops every message
    import asyncio

    from aiosmtpd.controller import Controller

    class Drop:
        async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook name
            return "250 OK"

    controller = Controller(Drop(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    asyncio.run(asyncio.sleep(10**6))


class Split:
    """CPU spent inside some functions of the job (wrapped in their modules), to split the job's figure."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.depth = 0

    def wrap(self, module, name: str, label: str) -> None:
        inner = getattr(module, name)

        def timed(*args, **kwargs):
            if self.depth:
                return inner(*args, **kwargs)
            self.depth += 1
            start = time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.process_time() - start
                self.depth -= 1

        setattr(module, name, timed)


def seed(engine, orders: int, packs: list[str], lang: str, static_qr: bool) -> None:
    with Session(engine, expire_on_commit=False) as session:
        event = make_event(session, title="Athlétisme — Finale du 100 m hommes", starts_at=utcnow() + timedelta(days=3),
                           static_qr_enabled=static_qr)
        offers = {kind: make_offer(session, event, offer_type=kind).id for kind in dict.fromkeys(packs)}
        users = [make_user(session, first_name="Zoë", last_name=f"Łukasiewicz {i}", lang=lang).id
                 for i in range(orders)]
        session.commit()
        for uid in users:
            for kind in packs:
                cart.add_item(session, uid, offers[kind])
            checkout.checkout(session, uid, CARD, idempotency_key=f"mail-{uid}")
        session.execute(update(User).values(lang=lang))
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--packs", default="solo,duo,family", help="offer types in each order (one pack each)")
    parser.add_argument("--lang", default="fr", choices=("fr", "en"))
    parser.add_argument("--static-qr", default="on", choices=("on", "off"))
    parser.add_argument("--smtp-port", type=int, default=3401, help="0: write .eml files to the outbox instead")
    parser.add_argument("--profile", help="write a cProfile of the measured jobs to this file")
    parser.add_argument("--cache-files", type=int, default=0,
                        help="other tickets' files already in the PDF cache folder (a cache after N tickets)")
    args = parser.parse_args()
    packs = [p.strip() for p in args.packs.split(",") if p.strip()]

    sink = None
    with tempfile.TemporaryDirectory(prefix="jo_bench_mail_") as folder, temp_database() as engine:
        os.environ.update(CACHE_DIR=f"{folder}/cache", OUTBOX_DIR=f"{folder}/outbox")
        os.makedirs(f"{folder}/cache/tickets", mode=0o700)
        for index in range(args.cache_files):  # empty files named as cached tickets' PDFs (ids never used here)
            open(f"{folder}/cache/tickets/{10**8 + index}-0123456789abcdef.fr.pdf", "wb").close()
        if args.smtp_port:
            ready = multiprocessing.get_context("spawn").Event()
            sink = multiprocessing.get_context("spawn").Process(target=_sink, args=(args.smtp_port, ready), daemon=True)
            sink.start()
            assert ready.wait(20), "SMTP sink did not start"
            os.environ.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(args.smtp_port), SMTP_STARTTLS="false")
        else:
            os.environ.pop("SMTP_HOST", None)
        get_settings.cache_clear()
        try:
            seed(engine, args.orders + args.warmup, packs, args.lang, args.static_qr == "on")
            for _ in range(args.warmup):
                assert job_worker.run_one(engine, worker="bench")
            split = Split()
            from jo_app.services import mail as mail_module
            from jo_app.services.tickets import render as render_module

            split.wrap(render_module, "ticket_pdf", "PDF render")
            split.wrap(mail_module, "send_mail", "mail build + send")
            profiler = None
            if args.profile:
                import cProfile

                profiler = cProfile.Profile(time.process_time)
            cpu, wall = [], []
            for _ in range(args.orders):
                if profiler:
                    profiler.enable()
                c0, w0 = time.process_time(), time.perf_counter()
                assert job_worker.run_one(engine, worker="bench")
                cpu.append((time.process_time() - c0) * 1000)
                wall.append((time.perf_counter() - w0) * 1000)
                if profiler:
                    profiler.disable()
            if profiler:
                profiler.dump_stats(args.profile)
            with Session(engine) as session:
                states = dict(session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
        finally:
            if sink is not None:
                sink.kill()
    assert states == {"done": args.orders + args.warmup}, states
    mean = sum(cpu) / len(cpu)
    print(f"mail job ({'+'.join(packs)}: {len(packs)} tickets, {args.lang}, static QR {args.static_qr}, "
          f"{'SMTP' if args.smtp_port else 'outbox files'}), {args.orders} orders: worker CPU per job "
          f"p50 {percentile(cpu, 50):.1f} ms, mean {mean:.1f} ms ({mean / len(packs):.1f} ms per ticket); "
          f"wall p50 {percentile(wall, 50):.1f} ms; 150 mails/s need {mean * 150 / 1000:.2f} cores "
          f"(load {os.getloadavg()[0]:.1f})")
    parts = {label: value * 1000 / args.orders for label, value in split.spent.items()}
    print("  of which: " + ", ".join(f"{label} {value:.1f} ms" for label, value in parts.items())
          + f", the rest (order read, payloads, job bookkeeping, cache) {mean - sum(parts.values()):.1f} ms")


if __name__ == "__main__":
    main()
