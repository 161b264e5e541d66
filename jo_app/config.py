"""Application settings, read once from the environment (and an optional `.env`).

Every tunable of the system lives here so that services stay free of `os.environ`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "dev-insecure-secret-change-me"
DEFAULT_SQLITE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'jo_etickets.db'}"


class ConfigurationError(RuntimeError):
    """Raised when the configuration is unsafe or inconsistent."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Give PostgreSQL URLs an explicit driver: psycopg 3 (server-side prepared statements for the hot paths).
    `postgresql+psycopg2://` URLs are honoured as written."""
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare):]
    return url


@dataclass(frozen=True)
class Settings:
    """All runtime settings. Build with :func:`get_settings`."""

    env: str = "dev"
    database_url: str = DEFAULT_SQLITE_URL
    secret_key: str = DEFAULT_SECRET
    redis_url: str | None = None
    app_url: str = "http://localhost:3000"
    # Accounts
    lockout_threshold: int = 5
    lockout_window_seconds: int = 15 * 60
    session_idle_seconds: int = 2 * 3600
    session_absolute_seconds: int = 7 * 24 * 3600
    verification_code_ttl_seconds: int = 30 * 60
    bcrypt_rounds: int = 12
    # Sales
    max_packs_per_event_per_order: int = 6
    # Gate: a ticket is accepted from this many hours before the event start to this many after.
    gate_open_hours_before: int = 6
    gate_close_hours_after: int = 12
    # Mail
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "JO E-Tickets <billets@jo-etickets.example>"
    outbox_dir: Path = PROJECT_ROOT / "var" / "outbox"
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
    max_request_bytes: int = 1024 * 1024
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "prod"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_production_ready(self) -> None:
        """Refuse to run in production with a missing or default secret."""
        if not self.is_production:
            return
        if not self.secret_key or self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
            raise ConfigurationError(
                "JO_ENV=prod needs SECRET_KEY set to a random value of at least 32 characters "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )


def load_settings() -> Settings:
    """Read settings from the environment (after loading `.env` if present)."""
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    return Settings(
        env=os.environ.get("JO_ENV", "dev"),
        database_url=normalise_database_url(os.environ.get("DATABASE_URL") or DEFAULT_SQLITE_URL),
        secret_key=os.environ.get("SECRET_KEY") or DEFAULT_SECRET,
        redis_url=os.environ.get("REDIS_URL") or None,
        app_url=os.environ.get("APP_URL", "http://localhost:3000"),
        lockout_threshold=_int("LOCKOUT_THRESHOLD", 5),
        lockout_window_seconds=_int("LOCKOUT_WINDOW_SECONDS", 15 * 60),
        session_idle_seconds=_int("SESSION_IDLE_SECONDS", 2 * 3600),
        session_absolute_seconds=_int("SESSION_ABSOLUTE_SECONDS", 7 * 24 * 3600),
        bcrypt_rounds=_int("BCRYPT_ROUNDS", 12),
        max_packs_per_event_per_order=_int("MAX_PACKS_PER_EVENT", 6),
        gate_open_hours_before=_int("GATE_OPEN_HOURS_BEFORE", 6),
        gate_close_hours_after=_int("GATE_CLOSE_HOURS_AFTER", 12),
        smtp_host=os.environ.get("SMTP_HOST") or None,
        smtp_port=_int("SMTP_PORT", 25),
        smtp_user=os.environ.get("SMTP_USER") or None,
        smtp_password=os.environ.get("SMTP_PASSWORD") or None,
        smtp_starttls=_bool("SMTP_STARTTLS", False),
        mail_from=os.environ.get("MAIL_FROM", "JO E-Tickets <billets@jo-etickets.example>"),
        outbox_dir=Path(os.environ.get("OUTBOX_DIR") or PROJECT_ROOT / "var" / "outbox"),
        cache_dir=Path(os.environ.get("CACHE_DIR") or PROJECT_ROOT / "var" / "cache"),
        api_access_token_seconds=_int("API_ACCESS_TOKEN_SECONDS", 15 * 60),
        rate_limits_enabled=_bool("RATE_LIMITS_ENABLED", True),
        rate_limit_login=os.environ.get("RATE_LIMIT_LOGIN") or "10/minute",
        rate_limit_register=os.environ.get("RATE_LIMIT_REGISTER") or "5/minute",
        rate_limit_orders=os.environ.get("RATE_LIMIT_ORDERS") or "30/minute",
        rate_limit_scans=os.environ.get("RATE_LIMIT_SCANS") or "1200/minute",
        max_request_bytes=_int("MAX_REQUEST_BYTES", 1024 * 1024),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call `get_settings.cache_clear()`)."""
    return load_settings()
