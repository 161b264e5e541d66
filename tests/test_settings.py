"""Typed settings (jo_app.config.Settings, pydantic-settings): one place reads the environment, values are typed and
checked, each default is written once."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from jo_app.config import PROJECT_ROOT, ConfigurationError, Settings, load_settings

JO_APP = PROJECT_ROOT / "jo_app"
SETTINGS_MODULE = JO_APP / "config.py"


def environment_reads(path: Path) -> list[int]:
    """Lines of `path` that touch `os.environ` / `os.getenv` / `environ` imported from os (parsed, not grepped, so
    comments and docstrings do not count)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = {"environ", "getenv", "environb", "putenv"}
    attributes = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in names]
    imports = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "os"
               and any(alias.name in names for alias in n.names)]
    return sorted(attributes + imports)


def test_no_module_but_the_settings_reads_the_environment() -> None:
    offenders = {str(path.relative_to(PROJECT_ROOT)): lines for path in sorted(JO_APP.rglob("*.py"))
                 if path != SETTINGS_MODULE and (lines := environment_reads(path))}
    assert offenders == {}, "read settings through jo_app.config.get_settings(), not os.environ"


def test_the_environment_check_sees_a_read(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('"""os.environ in a docstring is fine."""\nimport os\n\nX = os.environ.get("X")\n')
    assert environment_reads(sample) == [4]
    sample.write_text("from os import getenv\n")
    assert environment_reads(sample) == [1]


def test_environment_variables_are_typed_and_renamed_where_documented(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JO_ENV", "bench")
    monkeypatch.setenv("MAX_PACKS_PER_EVENT", "9")
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("SMTP_STARTTLS", "yes")
    monkeypatch.setenv("CART_HOLD_MINUTES", "0.5")
    monkeypatch.setenv("DATABASE_URL", "postgresql://jo@db/jo")
    monkeypatch.setenv("REDIS_URL", "")  # empty means unset
    monkeypatch.setenv("OUTBOX_DIR", "/tmp/jo-outbox")
    settings = load_settings()
    assert settings.env == "bench" and not settings.is_production
    assert settings.max_packs_per_event_per_order == 9
    assert settings.smtp_port == 2525 and settings.smtp_starttls is True
    assert settings.cart_hold_minutes == 0.5
    assert settings.database_url == "postgresql+psycopg://jo@db/jo"  # psycopg 3 made explicit
    assert settings.redis_url is None
    assert settings.outbox_dir == Path("/tmp/jo-outbox")


def test_defaults_are_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MAX_PACKS_PER_EVENT", "SMTP_PORT", "CART_HOLD_MINUTES", "API_WORKER_THREADS", "LOG_LEVEL",
                 "METRICS_TOKEN", "PROMETHEUS_MULTIPROC_DIR", "RATE_LIMIT_SCANS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(env="dev", secret_key="k" * 40)
    assert (settings.max_packs_per_event_per_order, settings.smtp_port, settings.cart_hold_minutes) == (6, 25, 15)
    assert (settings.api_worker_threads, settings.log_level, settings.metrics_token) == (4, "INFO", None)
    assert settings.rate_limit_scans == "1200/minute" and settings.prometheus_multiproc_dir is None


def test_a_bad_value_is_a_clear_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PORT", "twenty-five")
    monkeypatch.setenv("RATE_LIMITS_ENABLED", "maybe")
    with pytest.raises(ConfigurationError, match="SMTP_PORT") as raised:
        load_settings()
    assert "RATE_LIMITS_ENABLED" in str(raised.value)


def test_settings_are_frozen() -> None:
    settings = Settings(env="dev", secret_key="k" * 40)
    with pytest.raises(Exception, match="frozen"):
        settings.env = "prod"  # type: ignore[misc]
    assert settings.model_copy(update={"env": "prod"}).is_production


def test_the_cli_reports_a_bad_setting_without_a_traceback(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "JO_ENV": "test", "SECRET_KEY": "s" * 40, "SMTP_PORT": "abc",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = subprocess.run([sys.executable, "-m", "jo_app.cli", "migrate"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "SMTP_PORT" in done.stderr and "Traceback" not in done.stderr
