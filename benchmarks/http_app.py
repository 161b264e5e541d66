"""The ASGI app served by `benchmarks.http`: the production one. Like `reflex run --env prod` (Granian with
`factory=True` and `__REFLEX_SKIP_COMPILE=true`), each worker imports the app module and calls the Reflex app,
which builds the whole stack (Reflex pages and websocket, the REST API, the security middleware).

With BENCH_GC_DUMP=<path> (benchmarks only), SIGUSR2 makes a worker write a census of its live objects (counts by
type after a full collection, the state manager's and socket.io's tables) to `<path>.<pid>` as JSON lines."""

import os

from jo_app.jo_app import app as reflex_app

app = reflex_app()

if os.environ.get("BENCH_GC_DUMP"):
    from benchmarks.census import install

    install(reflex_app, os.environ["BENCH_GC_DUMP"])
