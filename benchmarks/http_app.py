"""The ASGI app served by `benchmarks.http`: the FastAPI `api` (every HTTP route of the product) inside the
security middleware, exactly as `rx.App(api_transformer=[api, security_middleware])` stacks them, without the
Reflex frontend and websocket (not on the measured path)."""

from jo_app.api.app import api
from jo_app.api.security import security_middleware

app = security_middleware(api)
