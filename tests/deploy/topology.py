"""The production topology on loopback, with real processes: nginx (the repo's configuration, TLS) in front of two
app processes (`docker/entrypoint.sh serve`: migrations under the advisory lock, then `reflex run --env prod
--backend-only` with Granian workers) sharing one PostgreSQL database and one Redis server, and the frontend
exported once with `reflex export --frontend-only` and served by nginx. Used by tests/deploy/test_topology.py and
benchmarks/topology.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from jo_app.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "topology-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
EXPORT_TIMEOUT = 900
START_TIMEOUT = 180


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def insecure_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


METRICS_TOKEN = "topology-metrics-token"  # production serves /metrics only with the token


def http(url: str, *, method: str = "GET", data: bytes | None = None, headers: dict | None = None,
         follow: bool = True, timeout: float = 15) -> tuple[int, dict[str, str], bytes]:
    """(status, lower-cased headers, body) without raising on HTTP errors; TLS not verified (self-signed)."""
    handlers = [urllib.request.HTTPSHandler(context=insecure_tls())]
    if not follow:
        handlers.append(_NoRedirect())
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


@dataclass
class AppProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("a")
        self.proc = subprocess.Popen([str(ROOT / "docker" / "entrypoint.sh"), "serve"], cwd=ROOT, env=self.env,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                if http(f"http://127.0.0.1:{self.port}/_health", timeout=3)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} not healthy after {timeout}s:\n{self.log_tail()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (the supervisor and its Granian workers)."""
        if self.proc is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        # Granian workers are in the same group; make sure none survives a SIGKILL of the group.
        self.proc = None

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def json_logs(self) -> list[dict]:
        lines = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    continue
        return lines


@dataclass
class Topology:
    base: Path
    db_url: str
    redis_url: str
    https_port: int
    http_port: int
    engine: Engine
    apps: list[AppProcess] = field(default_factory=list)
    nginx: subprocess.Popen | None = None
    redis: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def restart_apps(self) -> None:
        for app in self.apps:
            app.stop()
        for app in self.apps:
            app.start()
        for app in self.apps:
            app.wait_ready()


def _nginx_config(base: Path, static: Path, https_port: int, http_port: int, app_ports: list[int],
                  per_address_limits: bool = True) -> Path:
    conf = base / "nginx"
    (conf / "jo-etickets").mkdir(parents=True, exist_ok=True)
    for name in ("proxy.conf", "keepalive.conf", "headers.conf"):
        shutil.copy(ROOT / "nginx" / "jo-etickets" / name, conf / "jo-etickets" / name)
    servers = "\n".join(f"    server 127.0.0.1:{port} max_fails=2 fail_timeout=5s;" for port in app_ports)
    (conf / "jo-etickets" / "upstream.conf").write_text(f"upstream jo_app {{\n{servers}\n    keepalive 32;\n}}\n")
    site = (ROOT / "nginx" / "jo-etickets.conf").read_text()
    site = re.sub(r"^\s*listen \[::\]:\d+.*$", "", site, flags=re.MULTILINE)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = site.replace("root /srv/jo-etickets/static;", f"root {static};")
    site = site.replace("return 301 https://$host$request_uri;", f"return 301 https://$host:{https_port}$request_uri;")
    if not per_address_limits:  # benchmarks: every client comes from 127.0.0.1
        site = re.sub(r"rate=\d+r/s", "rate=100000r/s", site)
        site = site.replace("limit_conn jo_conn 64;", "limit_conn jo_conn 10000;")
    (conf / "jo-etickets.conf").write_text(site)
    subprocess.run([str(ROOT / "deploy" / "make-self-signed-cert.sh"), str(conf / "certs"), "127.0.0.1", "2"],
                   check=True, capture_output=True, timeout=60)
    logs = base / "nginx-logs"
    logs.mkdir(exist_ok=True)
    temp = base / "nginx-temp"
    temp.mkdir(exist_ok=True)
    (conf / "nginx.conf").write_text(f"""
user root;
worker_processes 2;
pid {base / 'nginx.pid'};
error_log {logs / 'error.log'} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format jo '$remote_addr "$request" $status $body_bytes_sent rid=$request_id up=$upstream_addr';
    access_log {logs / 'access.log'} jo;
    client_body_temp_path {temp / 'body'};
    proxy_temp_path {temp / 'proxy'};
    fastcgi_temp_path {temp / 'fastcgi'};
    uwsgi_temp_path {temp / 'uwsgi'};
    scgi_temp_path {temp / 'scgi'};
    sendfile on;
    include jo-etickets.conf;
}}
""")
    return conf


def export_frontend(web_dir: Path, api_url: str, log_path: Path) -> Path:
    """`reflex export --frontend-only --no-zip` into a private .web (REFLEX_WEB_WORKDIR): the shared working tree's
    .web (used by `reflex run` of the e2e tests) is left alone."""
    env = {**os.environ, "REFLEX_WEB_WORKDIR": str(web_dir), "REFLEX_API_URL": api_url, "REFLEX_USE_SYSTEM_BUN": "1",
           "JO_ENV": "test", "PATH": f"{ROOT / 'tools' / 'node_modules' / '.bin'}:{VENV_BIN}:{os.environ['PATH']}"}
    env.pop("REFLEX_REDIS_URL", None)
    env.pop("REDIS_URL", None)
    with log_path.open("w") as log:
        subprocess.run([str(VENV_BIN / "reflex"), "export", "--frontend-only", "--no-zip", "--loglevel", "info"],
                       cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True, timeout=EXPORT_TIMEOUT)
    static = web_dir / "build" / "client"
    assert (static / "index.html").exists(), log_path.read_text()[-3000:]
    return static


@contextmanager
def topology(base: Path, *, workers: int = 2, extra_env: dict[str, str] | None = None,
             reuse: tuple[Path, int] | None = None, per_address_limits: bool = True):
    """Start everything; yields a `Topology`; stops everything and drops the database.

    `reuse=(static_dir, https_port)`: serve an earlier export made for that port instead of exporting again.
    `per_address_limits=False` lifts nginx's per-address request limits (benchmarks: all clients are 127.0.0.1).
    """
    admin_url = make_url(os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG))
    name = f"jo_topology_{uuid.uuid4().hex[:10]}"
    admin = make_engine(admin_url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT",
                        pool_size=1, max_overflow=0)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = admin_url.set(database=name).render_as_string(hide_password=False)
    https_port, http_port, redis_port = reuse[1] if reuse else free_port(), free_port(), free_port()
    app_ports = [free_port(), free_port()]
    redis_dir = base / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    redis = subprocess.Popen([REDIS_SERVER, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(redis_dir)],
                             stdout=(base / "redis.log").open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    engine = make_engine(db_url, pool_size=4, max_overflow=4)
    topo = Topology(base=base, db_url=db_url, redis_url=f"redis://127.0.0.1:{redis_port}/0", https_port=https_port,
                    http_port=http_port, engine=engine, redis=redis)
    try:
        static = reuse[0] if reuse else export_frontend(base / "web", f"https://127.0.0.1:{https_port}",
                                                        base / "export.log")
        for index, port in enumerate(app_ports, start=1):
            env = {
                **os.environ,
                "PATH": f"{VENV_BIN}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT),
                "JO_ENV": "prod", "SECRET_KEY": SECRET, "DATABASE_URL": db_url, "METRICS_TOKEN": METRICS_TOKEN,
                "REDIS_URL": topo.redis_url, "REFLEX_REDIS_URL": topo.redis_url,
                "APP_URL": topo.url, "APP_PORT": str(port), "GRANIAN_WORKERS": str(workers),
                "REFLEX_FRONTEND_PORT": "0", "REFLEX_TRUSTED_PROXY_HOPS": "1",
                "PROMETHEUS_MULTIPROC_DIR": str(base / f"prom{index}"),
                # Reflex wipes its states folder at start: one per process (not the shared ./.states), else two
                # processes starting together race on the same files (and would wipe another app's states).
                "REFLEX_STATES_WORKDIR": str(base / f"states{index}"),
                "LOG_FORMAT": "json", "BCRYPT_ROUNDS": "4", "LOCKOUT_THRESHOLD": "1000",
                "RATE_LIMITS_ENABLED": "false", "OUTBOX_DIR": str(base / "outbox"), "CACHE_DIR": str(base / "cache"),
                "SMTP_HOST": "", "JOBS_IN_APP": "1", "MIGRATE_ON_START": "1", "REFLEX_LOGLEVEL": "info",
                **(extra_env or {}),
            }
            topo.apps.append(AppProcess(f"app{index}", port, env, base / f"app{index}.log"))
        # One after the other: each `reflex run` copies the lockfiles between .web and the repository's reflex.lock
        # as it starts, and two at once could leave bun.lock empty (the frontend export then fails). Concurrent
        # migrations have their own test (test_migrate_and_nginx.py).
        for app in topo.apps:
            app.start()
            app.wait_ready()
        conf = _nginx_config(base, static, https_port, http_port, app_ports, per_address_limits)
        topo.nginx = subprocess.Popen([NGINX, "-c", str(conf / "nginx.conf"), "-p", str(conf), "-g", "daemon off;"],
                                      stdout=(base / "nginx.out").open("w"), stderr=subprocess.STDOUT,
                                      start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                if http(f"{topo.url}/ping", timeout=3)[0] == 200:
                    break
            except OSError:
                pass
            if topo.nginx.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("nginx did not start: " + (base / "nginx.out").read_text()
                                   + (base / "nginx-logs" / "error.log").read_text())
            time.sleep(0.3)
        yield topo
    finally:
        if topo.nginx is not None:
            topo.nginx.send_signal(signal.SIGQUIT)
            try:
                topo.nginx.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(topo.nginx.pid, signal.SIGKILL)
        for app in topo.apps:
            app.stop()
        redis.terminate()
        redis.wait(timeout=15)
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
