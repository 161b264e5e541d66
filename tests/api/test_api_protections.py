"""Cross-cutting protections: security headers, CORS, body size limit, error shape (never a 5xx or a stack trace
on bad input), rate limits with Retry-After, self-hosted API docs."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from jo_app.api import ratelimit
from jo_app.config import get_settings
from jo_app.services.catalog import listing as catalog
from jo_app.web.origins import allowed_origins
from tests.api.conftest import CARD, PASSWORD, assert_error, bearer, buy, production_stack, token_for


@pytest.fixture
def settings_env(monkeypatch):
    """Set environment variables for the settings of one test (the settings cache is reset around it)."""
    def apply(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        ratelimit.reset()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


def test_security_headers_everywhere_and_camera_for_this_origin_only(client, world, settings_env) -> None:
    for path in ("/api/v1/events", "/api/v1/nope", "/api/openapi.json", "/api/docs", "/controle"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "connect-src 'self' ws: wss:" in csp and "base-uri 'self'" in csp
        assert "default-src 'self'" in csp and "object-src 'none'" in csp and "form-action 'self'" in csp
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "strict-transport-security" not in headers
        # Every document may ask for the camera (this origin only): any page can navigate to the gate client-side.
        assert headers["permissions-policy"].startswith("camera=(self), microphone=()"), path
    settings_env(JO_ENV="prod")
    assert "max-age=" in client.get("/api/v1/events").headers["strict-transport-security"]


def test_cors_refuses_foreign_origins(client, world) -> None:
    from reflex.config import get_config

    allowed = list(get_config().cors_allowed_origins)
    assert allowed == allowed_origins(get_settings()) and allowed[0] == get_settings().app_url.rstrip("/")
    assert "*" not in allowed and not any("evil" in origin for origin in allowed)
    evil = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type"}
    preflight = client.options("/api/v1/orders", headers=evil)
    assert "access-control-allow-origin" not in preflight.headers
    simple = client.get("/api/v1/events", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers
    for origin in allowed:  # APP_URL, and in development its loopback spellings
        own = client.get("/api/v1/events", headers={"Origin": origin})
        assert own.headers["access-control-allow-origin"] == origin


def test_body_size_limit(client, world) -> None:
    big = b'{"email": "a@b.org", "password": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = client.post("/api/v1/auth/token", content=big, headers={"content-type": "application/json"})
    assert_error(response, 413, "payload_too_large")
    assert response.headers["x-frame-options"] == "DENY"

    def chunks():
        for _ in range(300):
            yield b"x" * 4096

    chunked = client.post("/api/v1/auth/token", content=chunks(), headers={"content-type": "application/json"})
    assert_error(chunked, 413, "payload_too_large")
    small = client.post("/api/v1/auth/token", content=iter([b'{"email": "a@b.org", ', b'"password": "x"}']),
                        headers={"content-type": "application/json"})
    assert_error(small, 401, "invalid_credentials")


@pytest.mark.parametrize("body", [
    b"{bad json", b"", b"null", b"[]", b"\xff\xfe", b'{"email": 1, "password": []}', b"[" * 100_000,
    rb'{"email": "a@b.org", "password": "\ud800"}', rb'{"email": "a\u0000@b.org", "password": "x"}',
    b'{"email": "a@b.org", "password": "x", "role": "admin"}',
])
def test_malformed_requests_get_4xx_with_the_error_shape(client, world, body) -> None:
    for path in ("/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/register"):
        response = client.post(path, content=body, headers={"content-type": "application/json"})
        assert 400 <= response.status_code < 500, (path, body[:40], response.text)
        assert_error(response, response.status_code)


def test_http_errors_and_crashes_use_the_error_shape_without_internals(client, world, monkeypatch) -> None:
    assert_error(client.get("/api/v1/does-not-exist"), 404, "not_found")
    assert_error(client.delete("/api/v1/events"), 405, "method_not_allowed")
    assert_error(client.get("/api/v1/events", params={"q": "\x00"}), 422, "invalid_request")
    headers = bearer(client, world.visitor)
    assert_error(client.get("/api/v1/orders/%00", headers=headers), 422)

    def boom(*_args, **_kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(catalog, "list_events", boom)
    crash = client.get("/api/v1/events")
    error = assert_error(crash, 500, "internal_error")
    assert "hunter2" not in crash.text and "Traceback" not in crash.text and "RuntimeError" not in crash.text
    assert error["message"] == "An unexpected error occurred."


def test_rate_limits_trigger_with_retry_after(client, world, settings_env) -> None:
    settings_env(RATE_LIMIT_LOGIN="3/minute", RATE_LIMIT_ORDERS="2/minute", RATE_LIMIT_SCANS="2/minute",
                 RATE_LIMIT_REGISTER="2/minute")
    for _ in range(3):
        token_for(client, world.visitor)
        client.cookies.clear()  # no device cookie: limited per e-mail (a known device is limited per device)
    limited = client.post("/api/v1/auth/token", json={"email": world.visitor.email, "password": PASSWORD})
    assert_error(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # Per account: the same e-mail from another address is limited too; per address: another e-mail is too.
    with TestClient(production_stack(), client=("203.0.113.7", 5000)) as elsewhere:
        assert_error(elsewhere.post("/api/v1/auth/token", json={"email": world.visitor.email, "password": PASSWORD}),
                     429, "rate_limited")
        assert elsewhere.post("/api/v1/auth/token", json={"email": world.other.email,
                                                          "password": PASSWORD}).status_code == 200
    assert_error(client.post("/api/v1/auth/token", json={"email": world.admin.email, "password": PASSWORD}), 429)

    ratelimit.reset()
    visitor, staff = bearer(client, world.visitor), bearer(client, world.employee)
    buy(client, visitor, world.offers["solo"])
    buy(client, visitor, world.offers["solo"])
    third = client.post("/api/v1/orders", headers={**visitor, "Idempotency-Key": uuid.uuid4().hex},
                        json={"card": CARD, "items": [{"offer_id": world.offers["solo"], "quantity": 1}]})
    assert_error(third, 429, "rate_limited") and int(third.headers["Retry-After"]) >= 1
    for expected in (200, 200, 429):
        scan = client.post("/api/v1/scans", headers=staff, json={"payload": "JO1:X", "gate": "A"})
        assert scan.status_code == expected
    ratelimit.reset()
    for n, expected in enumerate((201, 201, 429)):
        response = client.post("/api/v1/auth/register", json={
            "email": f"fan{n}@example.org", "password": PASSWORD, "first_name": "A", "last_name": "B",
            "consent": True})
        assert response.status_code == expected, response.text
    assert "Retry-After" in response.headers


def test_docs_are_served_without_any_cdn(client, world) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200 and "/api/docs/assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/docs/assets/swagger-ui.css").status_code == 200
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.") and "bearer" in spec["components"]["securitySchemes"]
    assert "ErrorBody" in spec["components"]["schemas"]
    assert "HTTPValidationError" not in str(spec), "every 422 must document our error shape, not FastAPI's"
    paths = spec["paths"]
    for path in ("/offers/api/offers", "/cart/api/count", "/admin/api/stats/offers", "/admin/api/stats/sales",
                 "/api/v1/auth/token", "/api/v1/orders", "/api/v1/scans", "/api/v1/keys", "/api/v1/revocations"):
        assert path in paths, path
    order_params = {p["name"] for p in paths["/api/v1/orders"]["post"]["parameters"]}
    assert "Idempotency-Key" in order_params
    assert paths["/api/v1/scans"]["post"]["security"] == [{"bearer": []}, {"session_cookie": []}]
    assert "429" in paths["/api/v1/auth/token"]["post"]["responses"]


def test_rate_limits_are_shared_through_redis(client, world, settings_env, request) -> None:
    """With REDIS_URL the counters live in Redis: a limiter built from scratch (another worker process) sees them."""
    import redis

    # One Redis database per variant: the SQLite and PostgreSQL runs of this test may run at once (pytest-xdist)
    # and each empties its database. A day-long window: a 2/minute sliding window could roll over between the
    # requests and forgive one.
    url = f"redis://127.0.0.1:6379/{14 if '[sqlite]' in request.node.name else 13}"
    redis.Redis.from_url(url).flushdb()
    settings_env(REDIS_URL=url, RATE_LIMIT_LOGIN="2/day")
    try:
        for _ in range(2):
            token_for(client, world.visitor)
        ratelimit._state.clear()  # forget this process's limiter objects, as a fresh worker would start
        refused = client.post("/api/v1/auth/token", json={"email": world.visitor.email, "password": PASSWORD})
        assert_error(refused, 429, "rate_limited")
        assert any(b"LIMITS" in key for key in redis.Redis.from_url(url).scan_iter())
    finally:
        redis.Redis.from_url(url).flushdb()
        ratelimit._state.clear()


def test_client_address_honours_x_forwarded_for_only_behind_trusted_proxies(client, world, settings_env) -> None:
    from jo_app.api import deps

    settings_env(RATE_LIMIT_LOGIN="2/minute")
    try:
        deps.trusted_proxy_hops.cache_clear()
        assert deps.trusted_proxy_hops() == 0  # rxconfig default: the header is ignored, no bucket picking
        for n in range(3):
            other = client.post("/api/v1/auth/token", headers={"X-Forwarded-For": f"198.51.100.{n}"},
                                json={"email": f"nobody{n}@example.org", "password": "x"})
        assert_error(other, 429, "rate_limited")
        ratelimit.reset()
        deps.trusted_proxy_hops.cache_clear()
        with pytest.MonkeyPatch.context() as mp:  # behind one trusted proxy (nginx): the address it saw counts
            mp.setattr(deps, "trusted_proxy_hops", lambda: 1)

            def attempt(forwarded: str, n: int):
                return client.post("/api/v1/auth/token", headers={"X-Forwarded-For": forwarded},
                                   json={"email": f"probe{n}@example.org", "password": "x"})

            assert attempt("198.51.100.7, 203.0.113.1", 1).status_code == 401
            assert attempt("203.0.113.1", 2).status_code == 401
            assert_error(attempt("10.9.9.9, 203.0.113.1", 3), 429, "rate_limited")  # same client behind nginx
            assert_error(attempt("203.0.113.2", 4), 401, "invalid_credentials")  # another client: own bucket
    finally:
        deps.trusted_proxy_hops.cache_clear()
