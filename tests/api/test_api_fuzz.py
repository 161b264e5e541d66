"""Property-based fuzzing of every operation of /api/openapi.json with schemathesis, on PostgreSQL.

1. In process (ASGI), authenticated as an administrator (the widest access): no 5xx, and every documented response
   matches its schema. FUZZ_EXAMPLES (default 10) bounds the examples per operation.
2. The CLI with `--checks all` (every check schemathesis has: server errors, status codes, content types, headers,
   schemas, negative data rejected, positive data accepted, missing headers, unsupported methods and `Allow`,
   ignored auth, use after free...) over HTTP against the production API stack served by Granian, anonymously and
   with a visitor's and an administrator's bearer tokens. FUZZ_CLI_EXAMPLES (default 8) bounds it.
   Run it alone: `.venv/bin/pytest tests/api/test_api_fuzz.py -k checks_all -q -p no:cacheprovider`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from jo_app.api import ratelimit
from jo_app.api.app import api
from jo_app.api.deps import get_db_engine
from jo_app.db import make_engine
from tests.api.conftest import bearer, build_world, production_stack

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))


schema = schemathesis.openapi.from_asgi("/api/openapi.json", production_stack())


@pytest.fixture(scope="module")
def fuzz_client(postgres_url: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """One PostgreSQL database, world and client for the whole module (PostgreSQL is the stricter database:
    NUL bytes, integer ranges, types); operations then share state, as they would in production."""
    from tests.conftest import _engine_for, _wipe

    engine = _engine_for(postgres_url)
    _wipe(engine)
    ratelimit.reset()
    api.dependency_overrides[get_db_engine] = lambda: engine
    try:
        with TestClient(production_stack(), base_url="http://localhost:3000") as client:
            yield client, bearer(client, build_world(engine).admin)
    finally:
        api.dependency_overrides.pop(get_db_engine, None)
        _wipe(engine)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_fuzz_no_server_error_and_schema_conformance(case, fuzz_client) -> None:
    client, admin_headers = fuzz_client
    kwargs = case.as_transport_kwargs(base_url="http://localhost:3000", headers=admin_headers)
    if not kwargs.get("cookies"):
        kwargs.pop("cookies", None)
    kwargs["headers"] = {k: v.encode() if isinstance(v, str) else v for k, v in kwargs["headers"].items()}
    response = client.request(**kwargs)  # one long-lived in-process client (a new one per call is slow)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance],
                           transport_kwargs=kwargs)


# --- schemathesis `--checks all` (CLI, over HTTP) --------------------------------------------------------------------

CLI_EXAMPLES = int(os.environ.get("FUZZ_CLI_EXAMPLES", "8"))
CONFIG = Path(__file__).with_name("schemathesis.toml")
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    url: str
    headers: dict[str, dict[str, str]]  # identity -> extra request headers
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The production API stack served by Granian on a fresh PostgreSQL database with the test world; bearer
    tokens of a visitor and an administrator obtained over HTTP."""
    server = make_url(postgres_url)
    name = f"jo_fuzz_{uuid.uuid4().hex[:10]}"
    admin = make_engine(server.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT", pool_size=1,
                        max_overflow=0)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    world = build_world(engine)
    port = _free_port()
    log = tmp_path_factory.mktemp("fuzz") / "granian.log"
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT), "REDIS_URL": "", "REFLEX_REDIS_URL": "",
           **{f"RATE_LIMIT_{scope}": "100000/minute" for scope in ("LOGIN", "REGISTER", "ORDERS", "SCANS")}}
    with log.open("w") as out:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--host",
                                 "127.0.0.1", "--port", str(port), "--workers", "1", "tests.api.fuzz_server:app"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"the API did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)

        def bearer_of(account) -> dict[str, str]:
            response = httpx.post(f"{base}/api/v1/auth/token", json={"email": account.email,
                                                                   "password": account.password})
            assert response.status_code == 200, response.text
            return {"Authorization": f"Bearer {response.json()['access_token']}"}

        yield Served(base, {"anonymous": {}, "visitor": bearer_of(world.visitor), "admin": bearer_of(world.admin)},
                     log)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("identity", ["anonymous", "visitor", "admin"])
def test_schemathesis_checks_all(served: Served, identity: str, tmp_path: Path) -> None:
    """`schemathesis run --checks all` over the OpenAPI document, as each identity: 0 failures (server errors,
    schema or status-code violations, accepted invalid data, Allow header...). Bounded: FUZZ_CLI_EXAMPLES (8)
    examples per operation and phase, deterministic. Per-operation exceptions are in tests/api/schemathesis.toml
    (each with its reason)."""
    command = [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(CONFIG), "--no-color", "run",
               f"{served.url}/api/openapi.json", "--checks", "all", "--max-examples", str(CLI_EXAMPLES),
               "--generation-deterministic", "--phases", "examples,coverage,fuzzing", "--workers", "1",
               "--report", "junit", "--report-dir", str(tmp_path)]
    for name, value in served.headers[identity].items():
        command += ["--header", f"{name}: {value}"]
    if identity != "anonymous":  # revoking its own session would end the run's authentication
        command += ["--exclude-path", "/api/v1/auth/revoke"]
    # In tmp_path: the CLI keeps its replay files under ./.schemathesis.
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=1800)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-12000:]
    assert "Traceback" not in served.log.read_text()
