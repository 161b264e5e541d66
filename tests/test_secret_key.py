"""Issue 11 item 3: no install signs with a published SECRET_KEY.

A development install without SECRET_KEY generates its own random secret on first use (var/secret_key, outside
git) and keeps it across restarts; the server and the CLI refuse a value published in the repository outside the
test suite, production included; an admin access token forged with the old published default is refused.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from jo_app.config import (
    DEFAULT_SECRET,
    DEV_SECRET_FILE,
    PROJECT_ROOT,
    PUBLISHED_SECRETS,
    ConfigurationError,
    load_settings,
)

PRINT_SECRET = "from jo_app.config import get_settings; print(get_settings().secret_key)"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "JO_ENV", "SECRET_KEY_FILE")}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=_env(**env), capture_output=True,
                          text=True, timeout=300)


def test_a_dev_install_generates_its_own_secret_and_keeps_it(tmp_path: Path) -> None:
    secret_file = tmp_path / "var" / "secret_key"
    first = _python(PRINT_SECRET, JO_ENV="dev", SECRET_KEY_FILE=str(secret_file))
    assert first.returncode == 0, first.stderr
    secret = first.stdout.strip()
    assert len(secret) >= 64 and secret not in PUBLISHED_SECRETS
    assert "generated this installation's own random secret" in first.stderr
    assert secret_file.read_text().strip() == secret
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    # A restart (and `reflex run` without JO_ENV) reads the same secret, silently.
    again = _python(PRINT_SECRET, SECRET_KEY_FILE=str(secret_file))
    assert again.returncode == 0 and again.stdout.strip() == secret and "generated" not in again.stderr
    # Another install gets another secret.
    other = _python(PRINT_SECRET, JO_ENV="dev", SECRET_KEY_FILE=str(tmp_path / "other" / "secret_key"))
    assert other.stdout.strip() != secret


def test_the_default_secret_file_is_outside_git() -> None:
    assert DEV_SECRET_FILE == PROJECT_ROOT / "var" / "secret_key"
    ignored = subprocess.run(["git", "check-ignore", "-q", "var/secret_key"], cwd=PROJECT_ROOT)
    assert ignored.returncode == 0


def test_processes_starting_together_share_one_secret(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret_key"
    procs = [subprocess.Popen([sys.executable, "-c", PRINT_SECRET], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              env=_env(JO_ENV="dev", SECRET_KEY_FILE=str(secret_file))) for _ in range(4)]
    values = {p.communicate(timeout=300)[0].strip() for p in procs}
    assert values == {secret_file.read_text().strip()}


@pytest.mark.parametrize("env", ["dev", "prod", "bench"])
@pytest.mark.parametrize("secret", sorted(PUBLISHED_SECRETS))
def test_published_secrets_are_refused_outside_tests(monkeypatch: pytest.MonkeyPatch, env: str, secret: str) -> None:
    monkeypatch.setenv("JO_ENV", env)
    monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ConfigurationError, match="published in the source code"):
        load_settings().check_production_ready()
    monkeypatch.setenv("JO_ENV", "test")  # the test suite may use a fixed key
    load_settings().check_production_ready()


def test_production_without_a_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JO_ENV", "prod")
    monkeypatch.delenv("SECRET_KEY")
    settings = load_settings()
    assert settings.secret_key == ""  # nothing generated for production
    with pytest.raises(ConfigurationError, match="JO_ENV=prod needs SECRET_KEY"):
        settings.check_production_ready()


def test_the_server_and_the_cli_refuse_to_start_with_the_published_default(tmp_path: Path) -> None:
    server = _python("import jo_app.jo_app", JO_ENV="dev", SECRET_KEY=DEFAULT_SECRET)
    assert server.returncode != 0 and "ConfigurationError" in server.stderr
    assert "published in the source code" in server.stderr
    cli = subprocess.run([sys.executable, "-m", "jo_app.cli", "migrate"], cwd=PROJECT_ROOT, capture_output=True,
                         text=True, timeout=120, env=_env(SECRET_KEY=DEFAULT_SECRET,
                                                          DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}"))
    assert cli.returncode == 2 and "published in the source code" in cli.stderr and "Traceback" not in cli.stderr
    assert not (tmp_path / "x.db").exists()
