"""Accepted browser origins: APP_URL, plus its loopback spellings outside production only."""

from __future__ import annotations

from jo_app.config import Settings
from jo_app.web.origins import allowed_origins, open_url


def test_development_accepts_every_loopback_spelling_of_the_same_port_only() -> None:
    origins = allowed_origins(Settings(env="dev", app_url="http://localhost:3000"))
    assert origins == ["http://localhost:3000", "http://127.0.0.1:3000", "http://0.0.0.0:3000", "http://[::1]:3000"]
    assert not any(":3001" in o or "evil" in o for o in origins)


def test_production_and_real_hosts_accept_app_url_only() -> None:
    dev = Settings(env="dev", app_url="http://127.0.0.1:8123/")
    assert allowed_origins(dev.model_copy(update={"env": "prod"})) == ["http://127.0.0.1:8123"]
    assert "http://localhost:8123" in allowed_origins(dev)
    assert allowed_origins(Settings(env="dev", app_url="https://billets.example.org")) == [
        "https://billets.example.org"]
    assert allowed_origins(Settings(env="prod", app_url="https://billets.example.org:443")) == [
        "https://billets.example.org"]


def test_url_to_open() -> None:
    assert open_url(Settings(app_url="http://localhost:3000")) == "http://localhost:3000/"
    assert open_url(Settings(app_url="http://0.0.0.0:3000")) == "http://localhost:3000/"
    assert open_url(Settings(app_url="https://billets.example.org")) == "https://billets.example.org/"
