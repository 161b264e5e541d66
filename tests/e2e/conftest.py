"""End-to-end harness: the real app (`reflex run --env prod`) on a fresh PostgreSQL database with the demo data,
a real SMTP server on loopback collecting every mail, and headless Chromium (Debian package) via Playwright.

Fixtures:
- `live_app` (session): `LiveApp(url, db_url, engine, smtp)`; the app runs once for the whole e2e session.
- `browser` (session), `context` / `page` (function): Playwright objects (1280x800 desktop context).
- `new_context(**kwargs)`: factory for extra contexts (phone width, second user...), closed at the end.
- `make_visitor()`: creates a verified visitor account directly through the services and returns
  `(email, password, user_id)`.
- `login(page, email, password)`: logs in through /connexion (fields #email, #password, button #login-submit).
- `screenshot(page, name)`: saves test-artifacts/screenshots/<name>.png.
- `smtp`: `LoopbackSMTP` with `.messages` (parsed `EmailMessage` list) and `.wait_for(to, subject_contains)`.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from jo_app.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
APP_START_TIMEOUT = 420


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _CollectingHandler:
    def __init__(self, sink: LoopbackSMTP) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink.lock:
            self.sink.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@dataclass
class LoopbackSMTP:
    """A real SMTP server on 127.0.0.1 that keeps every message it receives."""

    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Controller | None = None

    def start(self) -> None:
        self.port = free_port()
        self.controller = Controller(_CollectingHandler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()

    def wait_for(self, to: str, subject_contains: str = "", timeout: float = 20.0) -> EmailMessage:
        """The newest message to `to` whose subject contains `subject_contains` (waits for it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for message in reversed(self.messages):
                    if to.lower() in str(message["To"]).lower() and subject_contains in str(message["Subject"]):
                        return message
            time.sleep(0.2)
        raise AssertionError(f"no mail to {to} with subject containing {subject_contains!r} within {timeout}s")


@dataclass
class LiveApp:
    url: str
    db_url: str
    engine: Engine
    smtp: LoopbackSMTP
    env: dict[str, str]
    log_path: Path


def _wait_http(url: str, deadline: float, proc: subprocess.Popen, log_path: Path) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited with {proc.returncode}; log:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"app not ready at {url} after {APP_START_TIMEOUT}s; log:\n{log_path.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    admin_url = make_url(os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG))
    name = f"jo_e2e_{uuid.uuid4().hex[:10]}"
    admin = make_engine(admin_url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT",
                        pool_size=1, max_overflow=0)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = admin_url.set(database=name).render_as_string(hide_password=False)
    smtp = LoopbackSMTP()
    smtp.start()
    base = tmp_path_factory.mktemp("e2e")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        # The same key as this test process, so tickets signed by the tests verify in the app and vice versa.
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "BCRYPT_ROUNDS": "4",
        "JO_ENV": "test",
        "APP_URL": f"http://127.0.0.1:{port}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "JOBS_IN_APP": "1",  # the app sends its queued mails itself, as with `make run`
        "OUTBOX_DIR": str(base / "outbox"),
        "CACHE_DIR": str(base / "cache"),
        # Every e2e login comes from 127.0.0.1: keep the per-address lockout out of the way of unrelated tests.
        "LOCKOUT_THRESHOLD": "50",
        "RATE_LIMIT_LOGIN": "1000/minute",
        "RATE_LIMIT_REGISTER": "1000/minute",
        # Tests write events straight into the database (not through the app, which would clear its public cache):
        # no cached catalogue, so a page opened right after sees them.
        "PUBLIC_CACHE_SECONDS": "0",
        # The app's periodic hold sweep (every 60 s by default) would release, at a moment depending on when the
        # shared app started, an expired hold that test_holds watches stay counted until someone needs its seats.
        # The sweep itself is tested in tests/state/orders/test_hold_sweep.py.
        "HOLD_SWEEP_SECONDS": "86400",
        "RATE_LIMIT_CODE_REQUEST": "1000/minute",
        "RATE_LIMIT_CODE_GUESS": "1000/minute",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "PATH": f"{ROOT / 'tools' / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    env.pop("REFLEX_REDIS_URL", None)
    env.pop("REDIS_URL", None)
    for command in (["migrate"], ["seed-demo"]):
        subprocess.run([sys.executable, "-m", "jo_app.cli", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=180)
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "e2e-app.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "reflex"), "run", "--env", "prod", "--single-port",
         "--frontend-port", str(port), "--backend-port", str(port), "--loglevel", "info"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    engine = make_engine(db_url)
    try:
        _wait_http(f"http://127.0.0.1:{port}/ping", time.monotonic() + APP_START_TIMEOUT, proc, log_path)
        _wait_http(f"http://127.0.0.1:{port}/", time.monotonic() + 60, proc, log_path)
        yield LiveApp(url=f"http://127.0.0.1:{port}", db_url=db_url, engine=engine, smtp=smtp, env=env,
                      log_path=log_path)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        smtp.stop()
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def smtp(live_app: LiveApp) -> LoopbackSMTP:
    return live_app.smtp


@pytest.fixture(scope="session")
def browser(live_app: LiveApp):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser, live_app: LiveApp) -> Iterator[Callable]:
    contexts = []

    def factory(**kwargs):
        kwargs.setdefault("viewport", {"width": 1280, "height": 800})
        kwargs.setdefault("base_url", live_app.url)
        ctx = browser.new_context(**kwargs)
        ctx.set_default_timeout(30_000)
        contexts.append(ctx)
        return ctx

    yield factory
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def make_visitor(live_app: LiveApp) -> Callable[..., tuple[str, str, int]]:
    from sqlmodel import Session

    from jo_app.models import Role
    from jo_app.services.accounts import users

    def factory(role: Role = Role.VISITOR, password: str = "Sprint!Paris2024") -> tuple[str, str, int]:
        address = f"e2e-{uuid.uuid4().hex[:10]}@example.org"
        with Session(live_app.engine) as session:
            user = users.create_user(session, email=address, password=password, first_name="Camille",
                                     last_name="Durand", role=role, verified=True)
            session.commit()
            return address, password, int(user.id)

    return factory


def login(page, email_address: str, password: str, *, next_path: str | None = None) -> None:
    """Log in through the real login page and wait for the authenticated navbar."""
    target = "/connexion" + (f"?next={next_path}" if next_path else "")
    page.goto(target)
    page.locator("#page-shell[data-hydrated=true]").wait_for()
    page.locator("#email").fill(email_address)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    page.wait_for_function(
        "() => !location.pathname.startsWith('/connexion') && !location.pathname.startsWith('/auth')"
    )


@pytest.fixture(name="login")
def login_fixture() -> Callable[..., None]:
    return login


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    def take(page, name: str, *, full_page: bool = True) -> Path:
        folder = ARTIFACTS / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
