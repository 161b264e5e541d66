"""The application class: `rx.App` with the two behaviours every page and every worker needs.

- Served app (`__call__`, what Granian calls in each worker): `/api/` requests go straight to the API stack
  (`asgi.api_first`), and the startup heap is frozen (`asgi.freeze_startup_heap`).
- Every page's on_load starts with `AuthState.load_identity`: the navbar's display identity (logged in or not,
  first name, role) is re-read from the session cookie whenever the page hydrates, including after a websocket
  reconnect that lands on a fresh state (the server died, or another tab took the token): Reflex re-runs the
  page's on_load then, but a component's on_mount does not fire again.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from jo_app.asgi import ASGIApp, api_first, freeze_startup_heap, transformed_api
from jo_app.state.auth import AuthState


class App(rx.App):
    """`rx.App` for JO E-Tickets; see the module docstring."""

    def __call__(self) -> ASGIApp:
        reflex_asgi = super().__call__()  # also mounts the Reflex app inside the FastAPI transformer
        asgi = api_first(reflex_asgi, transformed_api(self.api_transformer), self._set_contexts_internal)
        freeze_startup_heap()
        return asgi

    def add_page(self, *args: Any, on_load: Any = None, **kwargs: Any) -> Any:
        """`rx.App.add_page`, with `AuthState.load_identity` first in the page's on_load."""
        if on_load is None:
            handlers = []
        elif isinstance(on_load, list | tuple):
            handlers = list(on_load)
        else:
            handlers = [on_load]
        return super().add_page(*args, on_load=[AuthState.load_identity, *handlers], **kwargs)
