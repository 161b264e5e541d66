"""The compose file validates with Debian's docker-compose (no engine needed for `config`) and carries the key
production settings; the Dockerfile keeps bun/node out of the runtime image."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from tests.deploy.conftest import ROOT

COMPOSE = shutil.which("docker-compose")
EXAMPLE = ROOT / "deploy" / ".env.example"


def compose_config(env_file) -> subprocess.CompletedProcess:
    assert COMPOSE, "docker-compose is missing: run scripts/install-system-deps.sh (Debian package docker-compose)"
    return subprocess.run([COMPOSE, "--env-file", str(env_file), "-f", str(ROOT / "docker-compose.yml"), "config"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)})


@pytest.fixture(scope="module")
def config() -> dict:
    result = compose_config(EXAMPLE)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_config_validates_with_the_example_env_file(config):
    assert {"nginx", "app1", "app2", "postgres", "redis", "backup"} <= set(config["services"])


def test_nginx_terminates_tls_and_serves_both_app_services(config):
    nginx = config["services"]["nginx"]
    published = {str(p.get("target") if isinstance(p, dict) else p) for p in nginx["ports"]}
    assert any("443" in p for p in published) and any(p.endswith("80") or p == "80" for p in published)
    assert any(v["target"] == "/etc/nginx/certs" for v in nginx["volumes"] if isinstance(v, dict)) or \
        any("/etc/nginx/certs" in str(v) for v in nginx["volumes"])
    assert nginx["build"]["target"] == "web"
    assert set(nginx["depends_on"]) == {"app1", "app2"}
    upstream = (ROOT / "nginx" / "jo-etickets" / "upstream.docker.conf").read_text()
    assert "server app1:8000" in upstream and "server app2:8000" in upstream


@pytest.mark.parametrize("name", ["app1", "app2"])
def test_app_services_share_postgres_and_redis_with_several_workers(config, name):
    app = config["services"][name]
    env = app["environment"]
    assert env["JO_ENV"] == "prod"
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://jo:")
    assert env["DATABASE_URL"].endswith("@postgres:5432/jo_etickets")
    assert env["REDIS_URL"].startswith("redis://:") and env["REDIS_URL"].endswith("@redis:6379/0")
    assert env["REFLEX_REDIS_URL"] == env["REDIS_URL"]
    assert env["REFLEX_TRUSTED_PROXY_HOPS"] == "1"  # client address from nginx's X-Forwarded-For
    assert int(env["GRANIAN_WORKERS"]) >= 2
    assert env["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/prometheus"
    assert len(env["SECRET_KEY"]) >= 32
    assert "POSTGRES_PASSWORD" not in env and "GRAFANA_ADMIN_PASSWORD" not in env  # least privilege
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert app["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "/_health" in " ".join(app["healthcheck"]["test"])
    assert app["build"]["target"] == "runtime"


def test_a_worker_service_sends_the_queued_mails(config):
    worker, app = config["services"]["worker"], config["services"]["app1"]
    assert worker["command"] == ["cli", "worker"] and worker["build"]["target"] == "runtime"
    assert worker["environment"]["DATABASE_URL"] == app["environment"]["DATABASE_URL"]
    assert worker["environment"]["SMTP_HOST"] == app["environment"]["SMTP_HOST"]
    assert worker["depends_on"]["app1"]["condition"] == "service_healthy"  # migrated first
    assert app["environment"]["JOBS_IN_APP"] == "0"  # the apps leave the jobs to the worker


def test_postgres_and_redis_have_volumes_and_health_checks(config):
    postgres, redis = config["services"]["postgres"], config["services"]["redis"]
    assert postgres["image"].startswith("postgres:16")
    assert any("/var/lib/postgresql/data" in str(v) for v in postgres["volumes"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "ping" in redis["healthcheck"]["test"]
    assert "--requirepass" in redis["command"]
    assert {"pgdata", "redisdata"} <= set(config["volumes"])
    backup = config["services"]["backup"]
    assert backup["environment"]["BACKUP_RETENTION_DAYS"] == "14"


def test_monitoring_profile_is_opt_in_and_uses_the_repo_files(config):
    prometheus, grafana = config["services"]["prometheus"], config["services"]["grafana"]
    assert prometheus["profiles"] == ["monitoring"] and grafana["profiles"] == ["monitoring"]
    assert any("monitoring/prometheus.yml" in str(v) for v in prometheus["volumes"])
    assert any("monitoring/grafana-dashboard.json" in str(v) for v in grafana["volumes"])
    scrape = yaml.safe_load((ROOT / "monitoring" / "prometheus.yml").read_text())
    targets = scrape["scrape_configs"][0]["static_configs"][0]["targets"]
    assert targets == ["app1:8000", "app2:8000"]


def test_a_missing_secret_stops_compose(tmp_path):
    lines = [line for line in EXAMPLE.read_text().splitlines() if not line.startswith("SECRET_KEY=")]
    env_file = tmp_path / "incomplete.env"
    env_file.write_text("\n".join(lines) + "\n")
    result = compose_config(env_file)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def _stages(dockerfile: str) -> dict[str, str]:
    stages, current = {}, None
    for line in dockerfile.splitlines():
        match = re.match(r"FROM\s+(\S+)\s+AS\s+(\S+)", line, re.IGNORECASE)
        if match:
            current = match.group(2)
            stages[current] = line + "\n"
        elif current:
            stages[current] += line + "\n"
    return stages


def test_dockerfile_exports_the_frontend_at_build_time_and_runs_as_non_root():
    text = (ROOT / "Dockerfile").read_text()
    stages = _stages(text)
    assert list(stages)[-1] == "runtime"  # plain `docker build .` gives the app image
    assert "reflex export --frontend-only --no-zip" in stages["frontend"]
    assert "npm ci" in stages["frontend"] and "REFLEX_USE_SYSTEM_BUN=1" in stages["frontend"]
    runtime = stages["runtime"]
    assert runtime.startswith("FROM ${PYTHON_IMAGE} AS runtime") and "ARG PYTHON_IMAGE=python:3.11-slim" in text
    assert "COPY --from=node" not in runtime and "tools/" not in runtime
    assert re.search(r"^USER jo$", runtime, re.MULTILINE)
    assert "HEALTHCHECK" in runtime and "/_health" in runtime
    assert "--backend-only" in (ROOT / "docker" / "entrypoint.sh").read_text()
    assert "migrate_locked" in (ROOT / "docker" / "entrypoint.sh").read_text()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".web", "deploy/.env", "deploy/certs"} <= set(ignored)
