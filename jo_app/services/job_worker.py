"""The worker that runs durable jobs from the outbox (`jo_app.services.jobs`), in its own process or in the app's.

- Own process: `python -m jo_app.cli worker` (`run_forever`), one or several (they never take the same job).
- In the app process (`make run`, unless JOBS_IN_APP=0): one daemon thread (`start_in_app`), woken right after a
  commit that queued jobs (`kick`, subscribed to the `JobsQueued` domain event) and every JOBS_POLL_SECONDS.

Delivery, exactly once as far as SMTP allows: each job's mails carry Message-IDs derived from the job id; the ids
the server accepted are committed to the job row (`sent`) before the job's next message goes out, and with the job's
end (the same UPDATE that marks it done, or gives it back after an error: one statement and commit fewer per mail
than a separate write). A worker killed before a message was accepted leaves the job running under a lease: when
the lease expires another worker claims it and sends what is missing. The one window left is between the server's
`250 OK` and that commit (the rest of the handler, milliseconds; the confirmation mail is its handler's last
step): a crash exactly there sends that message again, with the SAME Message-ID, so receiving servers and mail
clients that deduplicate on Message-ID show it once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from sqlalchemy.engine import Engine
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.services import jobs, mail_delivery
from jo_app.services.job_handlers import HANDLERS

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}"


def lower_cpu_priority(steps: int | None = None) -> int:
    """Lower the calling thread's CPU priority by `steps` (JOBS_NICE) and return its niceness.

    On Linux the niceness is per thread; threads started afterwards by this one inherit it. Only the worker process
    uses it: the app's in-process worker thread keeps the web threads' priority, as a nicer thread holding the GIL
    would make them wait. A priority can only be lowered (an unprivileged process cannot raise it back)."""
    steps = get_settings().jobs_nice if steps is None else steps
    if steps > 0 and hasattr(os, "setpriority"):
        thread = threading.get_native_id()
        try:
            os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + steps))
        except OSError as error:  # a sandbox without the call: the mails still go, at the same priority
            log.warning("job worker: cannot lower the CPU priority (%s)", error)
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) if hasattr(os, "getpriority") else 0


def run_one(engine: Engine, *, worker: str | None = None, lease_seconds: float | None = None) -> bool:
    """Claim and run one job. False when none is runnable."""
    worker = worker or worker_name()
    lease = lease_seconds if lease_seconds is not None else get_settings().jobs_lease_seconds
    with Session(engine, expire_on_commit=False) as session:
        job = jobs.claim(session, worker, lease_seconds=lease)
    if job is None:
        return False

    recorded: list[str] = []  # this attempt's accepted ids already in the job row
    accepted: list[str] = []  # accepted, written before the next message or with the job's end

    def before_send() -> None:
        while accepted:
            with Session(engine, expire_on_commit=False) as progress:
                jobs.record_sent(progress, job, accepted[0], earlier=recorded)
            recorded.append(accepted.pop(0))

    try:
        handler = HANDLERS.get(job.kind)
        if handler is None:
            raise LookupError(f"unknown job kind {job.kind!r}")
        with (mail_delivery.delivering(job.id, job.sent, accepted.append, before_send),
              Session(engine, expire_on_commit=False) as session):
            handler(session, job.payload)
            session.rollback()
    except Exception as error:
        log.exception("job %s (%s) failed, attempt %s", job.id, job.kind, job.attempts)
        with Session(engine, expire_on_commit=False) as session:
            status = jobs.fail(session, job, f"{error.__class__.__name__}: {error}", sent=[*recorded, *accepted])
        if status == "dead":
            log.error("job %s (%s) gave up after %s attempts", job.id, job.kind, job.attempts)
        return True
    with Session(engine, expire_on_commit=False) as session:
        if not jobs.complete(session, job, sent=[*recorded, *accepted]):
            log.warning("job %s finished after its lease passed to another worker", job.id)
    return True


def run_pending(engine: Engine, *, limit: int = 1000, **kwargs) -> int:
    """Run runnable jobs until none is left (or `limit`); returns how many ran."""
    count = 0
    while count < limit and run_one(engine, **kwargs):
        count += 1
    return count


def run_forever(engine: Engine, stop: threading.Event, *, poll_seconds: float | None = None) -> None:
    """The worker process's loop: run what is runnable, then sleep `poll_seconds` (until `stop` is set)."""
    poll = poll_seconds if poll_seconds is not None else get_settings().jobs_poll_seconds
    worker = worker_name()
    log.info("job worker %s started", worker)
    while not stop.is_set():
        try:
            if run_pending(engine, worker=worker):
                continue
        except Exception:  # the database restarting, for instance: try again after a pause
            log.exception("job worker: claiming failed")
        stop.wait(poll)


def serve(*, once: bool = False) -> int:
    """`python -m jo_app.cli worker`: run the configured database's jobs until SIGTERM/SIGINT (or what is runnable
    now with `once`). Returns how many jobs ran (`once`) or 0."""
    import signal

    from jo_app.db import get_engine

    lower_cpu_priority()
    if once:
        return run_pending(get_engine())
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_forever(get_engine(), stop)
    return 0


class _InApp:
    """The app process's worker thread and the engines it serves (the app's; tests bring their own)."""

    def __init__(self) -> None:
        self.engines: dict[int, Engine] = {}
        self.permanent: set[int] = set()  # the app's own engine, kept even while its database is down
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def add(self, engine: Engine, *, permanent: bool = False) -> None:
        with self.lock:
            self.engines.setdefault(id(engine), engine)
            if permanent:
                self.permanent.add(id(engine))
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, name="jo-jobs", daemon=True)
                self.thread.start()
        self.wake.set()

    def _loop(self) -> None:
        while True:
            self.wake.wait(get_settings().jobs_poll_seconds)
            self.wake.clear()
            if not get_settings().jobs_in_app:
                continue
            with self.lock:
                engines = list(self.engines.values())
            for engine in engines:
                try:
                    run_pending(engine)
                except Exception as error:  # the next kick (or poll) tries again
                    log.warning("in-app job worker: %s", error.__class__.__name__)
                    with self.lock:
                        if id(engine) not in self.permanent:
                            self.engines.pop(id(engine), None)  # a kick brings it back


_IN_APP = _InApp()


def kick(engine: Engine) -> None:
    """Run the jobs just queued on `engine` soon, in this process (no-op with JOBS_IN_APP=0)."""
    if get_settings().jobs_in_app:
        _IN_APP.add(engine)


async def start_in_app() -> None:
    """Lifespan task of the app: the in-process worker on the app's database (jobs left by a restart included)."""
    if get_settings().jobs_in_app:
        from jo_app.db import get_engine

        _IN_APP.add(get_engine(), permanent=True)
