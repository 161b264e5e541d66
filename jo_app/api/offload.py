"""One worker-thread hop per request for the API's hot endpoints (orders, scans).

FastAPI runs every plain `def` dependency and route in anyio's threadpool: a route with a sync session dependency,
a sync identity dependency and a sync body costs four or five hops (each a thread wake-up and a GIL hand-over,
~80 us of CPU on two shared cores). The hot endpoints are `async def` instead, do the no-I/O checks on the event
loop and call `run_blocking` ONCE for everything that touches the database (identity, role, rate limit, service).

The executor is a plain `ThreadPoolExecutor` (shared queue: a busy worker takes the next job without sleeping,
cheaper than anyio's one-queue-per-thread hand-over); the caller's context variables (request id for the logs)
are copied into the job. Jobs are not cancelled with the request: a checkout that has started runs to its commit.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from pydantic import BaseModel
from starlette.responses import Response

from jo_app.config import get_settings

# Threads per worker process (API_WORKER_THREADS overrides). The jobs are short database transactions, so a few
# threads keep the cores busy; more only add GIL hand-overs. Measured with benchmarks.http on 2 cores and 2 Granian
# workers: 4 threads 478-517 scans/s, 8 threads 451/s, 32 threads 365-418/s.
MAX_THREADS = get_settings().api_worker_threads

P = ParamSpec("P")
R = TypeVar("R")
_executor: ThreadPoolExecutor | None = None
_owner_pid = 0


def _get_executor() -> ThreadPoolExecutor:
    global _executor, _owner_pid
    if _executor is None or _owner_pid != os.getpid():  # created lazily, and again in a forked child
        _executor = ThreadPoolExecutor(max_workers=MAX_THREADS, thread_name_prefix="jo-api")
        _owner_pid = os.getpid()
    return _executor


def _settle(future: asyncio.Future, result: object, error: BaseException | None) -> None:
    if not future.done():  # the request may have been cancelled meanwhile
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


async def run_blocking(func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """`func(*args, **kwargs)` in a worker thread, with the caller's context variables.

    The thread hands the outcome straight to the event loop (`call_soon_threadsafe`) instead of going through a
    `concurrent.futures.Future` chained to an asyncio one (`run_in_executor`), whose lock the loop and the worker
    then contend for."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    context = contextvars.copy_context()

    def job() -> None:
        try:
            result = context.run(func, *args, **kwargs)
        except BaseException as exc:  # re-raised in the caller
            loop.call_soon_threadsafe(_settle, future, None, exc)
        else:
            loop.call_soon_threadsafe(_settle, future, result, None)

    _get_executor().submit(job)
    return await future


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """`model` as JSON, serialised once by pydantic (a returned model would be validated again by FastAPI, turned
    into Python objects, then dumped by the json module). Keep `response_model=` on the route for the docs."""
    return Response(type(model).__pydantic_serializer__.to_json(model), status_code=status_code,
                    media_type="application/json")
