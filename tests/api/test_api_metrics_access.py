"""Attack: reading `/metrics` (revenue, ticket counts) without the token (issue 11 item 6).

Before: with `METRICS_TOKEN` unset the document was served to anyone. Now: production serves it only with the
token (404 without one configured), development only to a loopback client no proxy forwarded.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from jo_app.config import get_settings
from tests.api.conftest import production_stack

OUTSIDE = ("203.0.113.9", 40000)
LOCAL = ("127.0.0.1", 40000)


@pytest.fixture
def env(monkeypatch):
    def apply(**values: str | None) -> None:
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


def scrape(peer: tuple[str, int], **headers: str):
    with TestClient(production_stack(), base_url="http://localhost:3000", client=peer) as client:
        return client.get("/metrics", headers=headers)


@pytest.mark.parametrize("jo_env", ["dev", "test"])
def test_without_token_outside_clients_get_nothing_in_development(engine, env, jo_env) -> None:
    env(METRICS_TOKEN=None, JO_ENV=jo_env)
    response = scrape(OUTSIDE)
    assert response.status_code == 404 and "jo_" not in response.text
    # A loopback peer that a proxy forwarded is someone else: refused too.
    assert scrape(LOCAL, **{"X-Forwarded-For": "198.51.100.7"}).status_code == 404
    assert scrape(LOCAL, Forwarded="for=198.51.100.7").status_code == 404


def test_without_token_loopback_clients_read_it_in_development(engine, env) -> None:
    env(METRICS_TOKEN=None, JO_ENV="dev")
    response = scrape(LOCAL)
    assert response.status_code == 200 and "jo_http_requests_total" in response.text


def test_without_token_production_serves_it_to_nobody(engine, env) -> None:
    env(METRICS_TOKEN=None, JO_ENV="prod")
    for peer in (OUTSIDE, LOCAL):
        response = scrape(peer)
        assert response.status_code == 404 and "jo_" not in response.text


@pytest.mark.parametrize("jo_env", ["prod", "dev"])
def test_with_token_everyone_needs_it(engine, env, jo_env) -> None:
    env(METRICS_TOKEN="s3cret-metrics-token", JO_ENV=jo_env)
    for peer in (OUTSIDE, LOCAL):
        assert scrape(peer).status_code == 401
        assert scrape(peer, Authorization="Bearer wrong").status_code == 401
        response = scrape(peer, Authorization="Bearer s3cret-metrics-token")
        assert response.status_code == 200 and "jo_http_requests_total" in response.text
