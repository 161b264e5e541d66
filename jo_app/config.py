"""Application settings: one typed class read once from the environment (and an optional `.env`).

Every tunable of the system lives here so that no other module of `jo_app` reads `os.environ` (a test checks it).
Each setting's environment variable is its field name in capitals (`DATABASE_URL`, `SMTP_PORT`...) unless the field
says otherwise (`JO_ENV`, `MAX_PACKS_PER_EVENT`); an empty variable counts as unset.

SECRET_KEY: production (`JO_ENV=prod`) must set it. Anywhere else, when it is unset, the install uses its own random
secret, generated on first use into `var/secret_key` (`SECRET_KEY_FILE`; `var/` is not in git) and kept across
restarts. A value published in this repository (the old placeholder, the deploy example) is refused at startup
outside the test suite (`JO_ENV=test`).
"""

from __future__ import annotations

import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path

from dotenv import load_dotenv
from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "dev-insecure-secret-change-me"  # the placeholder of earlier versions: published, hence refused
PUBLISHED_SECRETS = frozenset({DEFAULT_SECRET, "change-me-to-a-random-value-of-at-least-32-characters"})
DEV_SECRET_FILE = PROJECT_ROOT / "var" / "secret_key"
TEST_ENV = "test"
log = logging.getLogger(__name__)
DEFAULT_SQLITE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'jo_etickets.db'}"


class ConfigurationError(RuntimeError):
    """Raised when the configuration is unsafe or inconsistent."""


def dev_secret(path: Path = DEV_SECRET_FILE) -> str:
    """This install's own development secret, read from `path`, or generated there (random, 64 characters, mode
    0600) on first use. Creation is atomic (hard link of a complete temporary file), so processes starting together
    all end up with the same value."""
    try:
        value = path.read_text().strip()
        if value:
            return value
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:  # another process was first (or an empty file is there): use what it wrote
        return path.read_text().strip() or value
    finally:
        temporary.unlink(missing_ok=True)
    log.warning("SECRET_KEY is not set: generated this installation's own random secret in %s (outside git, kept "
                "across restarts). Production must set SECRET_KEY.", path)
    return value


def normalise_database_url(url: str) -> str:
    """Give PostgreSQL URLs an explicit driver: psycopg 3 (server-side prepared statements for the hot paths).
    `postgresql+psycopg2://` URLs are honoured as written."""
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare):]
    return url


class Settings(BaseSettings):
    """All runtime settings. Build with :func:`get_settings` (or `Settings(field=...)` in tests)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_ignore_empty=True, populate_by_name=True)

    env: str = Field("dev", validation_alias="JO_ENV")
    database_url: str = DEFAULT_SQLITE_URL
    secret_key_file: Path = DEV_SECRET_FILE
    # Unset: this install's own random secret outside production (see the module docstring); "" in production.
    secret_key: str = Field("", validate_default=True)
    redis_url: str | None = None
    app_url: str = "http://localhost:3000"
    # Accounts
    lockout_threshold: int = 5
    lockout_window_seconds: int = 15 * 60
    session_idle_seconds: int = 2 * 3600
    session_absolute_seconds: int = 7 * 24 * 3600
    # Web UI identity checks reuse a resolved session this long (per process; 0 = read the database every time).
    # A logout / role change / lock made in the same process drops the entry at once
    # (services/accounts/identity_cache.py).
    identity_cache_seconds: float = 2.0
    verification_code_ttl_seconds: int = 30 * 60
    bcrypt_rounds: int = 12
    # Sales
    max_packs_per_event_per_order: int = Field(6, validation_alias="MAX_PACKS_PER_EVENT")
    # Seat holds: a pack added to the cart holds its seats this long; expired holds are swept this often
    cart_hold_minutes: float = 15
    hold_sweep_seconds: int = 60
    # Waiting room, per app process: above QUEUE_BIG_ROOM_PAGES waiting pages of one on-sale, a tick that only moved
    # the queue reaches them all at most every QUEUE_BIG_ROOM_SECONDS (the pages let in get it at once); waiting pages
    # are pinged every QUEUE_PING_SECONDS instead of 25 s (state/orders/queue_live.py).
    queue_big_room_pages: int = 5000
    queue_big_room_seconds: float = 5.0
    queue_ping_seconds: float = 60.0
    # Garbage collection of the app process (jo_app/live/gc_pauses.py): a full collection that stopped the process
    # this long freezes its survivors, so that later ones do not walk every open page again (-1: never).
    gc_freeze_after_ms: int = 200
    # Gate: a ticket is accepted from this many hours before the event start to this many after.
    gate_open_hours_before: int = 6
    gate_close_hours_after: int = 12
    # Ticket ownership: holders can be renamed and tickets transferred until this many hours before the session;
    # an unaccepted transfer expires after TRANSFER_EXPIRY_HOURS; a ticket changes hands at most MAX_TRANSFERS times.
    holder_change_cutoff_hours: int = 2
    transfer_expiry_hours: int = 72
    max_transfers_per_ticket: int = 3
    # Mail
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "JO E-Tickets <billets@jo-etickets.example>"
    outbox_dir: Path = PROJECT_ROOT / "var" / "outbox"
    # Durable jobs (outbox): the app process runs a worker too unless JOBS_IN_APP=0 (then run
    # `python -m jo_app.cli worker`); a claimed job is retried when its worker is silent for JOBS_LEASE_SECONDS.
    jobs_in_app: bool = True
    jobs_lease_seconds: float = 120
    jobs_poll_seconds: float = 5
    # Mails are background work: the job worker process (`python -m jo_app.cli worker`) runs this many steps of CPU
    # priority (nice) below the web process, so that an on-sale surge is served first and the mails catch up after.
    jobs_nice: int = 10
    # Rendered ticket files (QR PNG, PDF) cache
    cache_dir: Path = PROJECT_ROOT / "var" / "cache"
    # Public API: access token lifetime, rate limits ("N/second|minute|hour", per client address AND per
    # account/token, see jo_app.api.ratelimit), request body limit
    api_access_token_seconds: int = 15 * 60
    rate_limits_enabled: bool = True
    rate_limit_login: str = "10/minute"
    rate_limit_register: str = "5/minute"
    rate_limit_orders: str = "30/minute"
    rate_limit_scans: str = "1200/minute"
    # E-mailed codes (password reset, address verification), per client address AND per e-mail address; the
    # per-account cool-down and daily guess budget are in jo_app.services.accounts.email_codes (docs/security.md).
    rate_limit_code_request: str = "5/minute;30/hour"
    rate_limit_code_guess: str = "10/minute;30/hour;60/day"
    rate_limit_prefix: str = "jo"
    max_request_bytes: int = 1024 * 1024
    public_cache_seconds: float = 5.0
    # A page's Reflex states built when its events need them (jo_app.live.lazy_states); false: Reflex's own disk manager
    lazy_states: bool = True
    # API worker threads per process (jo_app.api.offload explains the figure)
    api_worker_threads: int = 4
    # Monitoring: /metrics needs this bearer token when set (production serves no metrics without it); the
    # multiprocess directory of prometheus_client (one per host, shared by the workers); DB gauges cache.
    metrics_token: str | None = None
    prometheus_multiproc_dir: str | None = None
    metrics_db_cache_seconds: float = 10.0
    # Logging: "json" or "text" (default: json in production, text elsewhere), and the level
    log_format: str | None = None
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _explicit_driver(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("identity_cache_seconds")
    @classmethod
    def _identity_cache_bound(cls, value: float) -> float:
        return max(0.0, min(value, 10.0))  # at most 10 s of a revoked session still seen in another process

    @field_validator("secret_key")
    @classmethod
    def _own_secret_outside_production(cls, value: str, info: ValidationInfo) -> str:
        if value or info.data.get("env") == "prod":
            return value  # production without a secret is refused by check_production_ready
        return dev_secret(info.data.get("secret_key_file") or DEV_SECRET_FILE)

    @property
    def is_production(self) -> bool:
        return self.env == "prod"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_production_ready(self) -> None:
        """Startup check of the server: refuse a secret published in the source code (except for the test suite)
        and, in production, a missing or short one."""
        self.check_secret_not_published()
        if not self.is_production:
            return
        if not self.secret_key or len(self.secret_key) < 32:
            raise ConfigurationError(
                "JO_ENV=prod needs SECRET_KEY set to a random value of at least 32 characters "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )

    def check_secret_not_published(self) -> None:
        """ConfigurationError when SECRET_KEY is a value published in the source code, outside `JO_ENV=test`."""
        if self.secret_key in PUBLISHED_SECRETS and self.env != TEST_ENV:
            raise ConfigurationError(
                "SECRET_KEY is a value published in the source code: anyone could forge sessions and admin tokens "
                "with it. Set your own random SECRET_KEY (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                ", or, for development, remove it from the environment and .env: a random one is then generated "
                f"into {DEV_SECRET_FILE.relative_to(PROJECT_ROOT)}."
            )


def load_settings() -> Settings:
    """Read settings from the environment (after loading `.env` into it if present, so that the libraries reading
    their own variables, such as prometheus_client or Reflex, see the same values)."""
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    try:
        return Settings()
    except ValidationError as error:  # a typo in the environment: say which variable, without a stack of pydantic
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors())
        raise ConfigurationError(f"invalid settings in the environment or .env: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call `get_settings.cache_clear()`)."""
    return load_settings()
