"""The ASGI app served by `benchmarks.http`: the production one. Like `reflex run --env prod` (Granian with
`factory=True` and `__REFLEX_SKIP_COMPILE=true`), each worker imports the app module and calls the Reflex app,
which builds the whole stack (Reflex pages and websocket, the REST API, the security middleware)."""

from jo_app.jo_app import app as reflex_app

app = reflex_app()
