"""The ASGI app served by `benchmarks.live_ui`: the production one (`benchmarks.http_app`).

Confirmation mails are durable outbox jobs: who sends them is chosen by the benchmark's `--jobs` (JOBS_IN_APP and a
separate `python -m jo_app.cli worker`), nothing is patched here.
"""

from benchmarks.http_app import app  # noqa: F401  (served by Granian)
