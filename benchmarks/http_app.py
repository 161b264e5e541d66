"""The ASGI app served by `benchmarks.http`: the FastAPI `api` (every HTTP route of the product) inside the
security middleware, exactly as `rx.App(api_transformer=[api, security_middleware])` stacks them, without the
Reflex frontend and websocket (not on the measured path).

The Reflex app module is loaded at start-up as in production (where it is the served app): the live pushes the API
sends after orders and scans use it, and loading it lazily on the first push (about 1 s of CPU per worker) would
land inside the measured phase."""

from reflex.utils import prerequisites

from jo_app.api.app import api
from jo_app.api.security import security_middleware

prerequisites.get_and_validate_app()
app = security_middleware(api)
