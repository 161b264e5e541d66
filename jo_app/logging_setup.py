"""Structured logging: one JSON object per line, with the request id of the HTTP request being served.

`configure_logging()` is called once per process when the app module is imported (each Granian worker imports
it). Format and level come from the environment because logging is set up before anything else:

- `LOG_FORMAT`: `json` (default when `JO_ENV=prod`) or `text` (default otherwise, readable in a terminal);
- `LOG_LEVEL`: `INFO` by default.

The request id lives in a context variable set by `jo_app.web.request_id.RequestIdMiddleware`; every record
logged while a request is being served carries it (`request_id` field), and so does the access log line the
middleware writes (logger `jo_app.access`). nginx forwards its own `$request_id` in `X-Request-ID`, so one id
follows a request from the nginx access log to the application log.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime

from jo_app.config import get_settings

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("jo_request_id", default=None)

# Attributes every LogRecord has; anything else passed with `extra=` is copied into the JSON object.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}
_HANDLER_MARK = "_jo_structured"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (or None) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", "request_id", ...extra fields, "exc"}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in payload and not key.startswith("_"):
                payload[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def _default_format() -> str:
    return "json" if get_settings().is_production else "text"


def configure_logging(*, fmt: str | None = None, level: str | None = None, stream=None) -> logging.Handler:
    """Install one structured handler on the root logger (idempotent: replaces the previous one)."""
    fmt = (fmt or get_settings().log_format or _default_format()).lower()
    level_name = (level or get_settings().log_level).upper()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(getattr(logging, level_name, logging.INFO))
    # Our own loggers must not be silenced by a framework that raised the root level.
    logging.getLogger("jo_app").setLevel(getattr(logging, level_name, logging.INFO))
    return handler
