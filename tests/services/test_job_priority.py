"""The job worker process runs at a lower CPU priority (JOBS_NICE) than the web process: during an on-sale surge the
sale is served first and the confirmation mails catch up after it (real worker process, real PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy.engine import Engine

from jo_app.services import job_worker

ROOT = Path(__file__).resolve().parents[2]


def _niceness(pid: int) -> int:
    """Field 19 of /proc/<pid>/stat (after the command name in brackets, which may hold spaces)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[16])


def test_lowering_the_priority_changes_the_calling_thread_only() -> None:
    main_before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(job_worker.lower_cpu_priority(3)))
    thread.start()
    thread.join()
    assert seen == [min(19, main_before + 3)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main_before


def test_the_worker_process_runs_nicer_than_the_web_process(pg_engine: Engine, postgres_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": postgres_url, "JOBS_NICE": "7", "JOBS_POLL_SECONDS": "0.2",
           "LOG_LEVEL": "WARNING"}
    worker = subprocess.Popen([sys.executable, "-m", "jo_app.cli", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while _niceness(worker.pid) != min(19, os.nice(0) + 7) and time.monotonic() < deadline:
            assert worker.poll() is None, worker.stderr.read().decode()
            time.sleep(0.1)
        assert _niceness(worker.pid) == min(19, os.nice(0) + 7)
    finally:
        worker.terminate()
        worker.wait(20)
