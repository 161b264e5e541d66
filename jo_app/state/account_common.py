"""Helpers shared by the account states: running blocking service calls, mapping domain errors to catalogue keys."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from jo_app.db import session_scope
from jo_app.i18n import error_key
from jo_app.services.errors import DomainError

T = TypeVar("T")
log = logging.getLogger(__name__)


def _in_session(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with session_scope() as db:
        return fn(db, *args, **kwargs)


async def call_service(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `fn(session, *args, **kwargs)` in a worker thread with its own database session (never on the loop).

    Unexpected failures (database down, bug) are logged and turned into a generic DomainError, so the visitor
    sees a human message in their language and never a stack trace.
    """
    try:
        return await asyncio.to_thread(_in_session, fn, *args, **kwargs)
    except DomainError:
        raise
    except Exception as exc:
        log.exception("account service %s failed", getattr(fn, "__name__", fn))
        raise DomainError("Something went wrong.", code="generic") from exc


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(fn, *args, **kwargs)


def error_of(exc: DomainError, default_field: str = "form") -> tuple[str, str]:
    """(field, catalogue key) for a domain error; unknown fields are reported on `default_field`."""
    return (exc.field or default_field), error_key(exc)



def hard_redirect(path: str, *, fresh_state: bool = False) -> rx.event.EventSpec:
    """A full page load of a same-site path (HTTP routes such as /auth/*: the SPA router would not reach them).

    The reload also gives the websocket a fresh Cookie header after login / logout. With `fresh_state`, the tab's
    Reflex client token is dropped first, so the page comes back with a brand-new state tree: nothing of the
    previous user's private vars survives a login or logout.
    """
    if not path.startswith("/") or path.startswith("//"):
        path = "/"
    drop = "window.sessionStorage.removeItem('token');" if fresh_state else ""
    return rx.call_script(f"{drop}window.location.replace({json.dumps(path)})")
