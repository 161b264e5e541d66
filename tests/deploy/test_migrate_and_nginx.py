"""Start-up pieces of the deployment: migrations applied by several replicas at once (advisory lock), and the
repo's nginx configuration accepted by the real nginx binary (`nginx -t`)."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import text

from jo_app.db import make_engine
from tests.deploy.conftest import ROOT, app_env
from tests.deploy.topology import NGINX, _nginx_config, free_port


def test_replicas_starting_together_migrate_once(pg_database):
    url = pg_database("jo_migrate")
    procs = [subprocess.Popen([sys.executable, "-m", "scripts.migrate_locked"], cwd=ROOT, env=app_env(DATABASE_URL=url),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [proc.communicate(timeout=180)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], outputs
    assert sum("Running upgrade" in out for out in outputs) == 1, outputs  # the others found the schema at head
    engine = make_engine(url, pool_size=1, max_overflow=0)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        assert conn.execute(text("SELECT to_regclass('public.tickets') IS NOT NULL")).scalar_one()
    engine.dispose()


def test_nginx_accepts_the_repo_configuration(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    conf = _nginx_config(tmp_path, static, free_port(), free_port(), [free_port(), free_port()])
    result = subprocess.run([NGINX, "-t", "-c", str(conf / "nginx.conf"), "-p", str(conf)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
    site = " ".join((ROOT / "nginx" / "jo-etickets.conf").read_text().split())  # whitespace-insensitive
    for directive in ("server_tokens off;", "return 301 https://", "client_max_body_size", "gzip on;",
                      "proxy_set_header Upgrade $http_upgrade;", "limit_req zone=jo_auth",
                      "ssl_protocols TLSv1.2 TLSv1.3;"):
        assert directive in site, directive
