"""Property-based fuzzing of every operation of /api/openapi.json with schemathesis, in process (ASGI), on
PostgreSQL, authenticated as an administrator (the widest access). Checks: no 5xx, and every documented
response matches its schema. FUZZ_EXAMPLES (default 10) bounds the examples per operation."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from jo_app.api import ratelimit
from jo_app.api.app import api
from jo_app.api.deps import get_db_engine
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
