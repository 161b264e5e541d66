"""Browser origins the app accepts (websocket handshake and CORS): `APP_URL`, plus, outside production when
`APP_URL` names a loopback host, the other loopback spellings of the same scheme and port, so the address a
developer opens (`http://localhost:3000`, `http://127.0.0.1:3000`, `http://0.0.0.0:3000`, `http://[::1]:3000`)
gets a live page. Never a foreign host, never another port.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from jo_app.config import Settings, get_settings

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1")


def _origin(scheme: str, host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{shown}" + ("" if port in (None, default) else f":{port}")


def allowed_origins(settings: Settings) -> list[str]:
    """`APP_URL`'s origin first, then (development / tests only) its loopback aliases."""
    parts = urlsplit(settings.app_url)
    scheme, host, port = parts.scheme or "http", (parts.hostname or "").lower(), parts.port
    origins = [_origin(scheme, host, port)]
    if settings.is_production or host not in LOOPBACK_HOSTS:
        return origins
    return origins + [o for o in (_origin(scheme, h, port) for h in LOOPBACK_HOSTS) if o not in origins]


def open_url(settings: Settings) -> str:
    """The address to open in a browser: `APP_URL`, with 0.0.0.0 (a listening address) shown as localhost."""
    parts = urlsplit(settings.app_url)
    host = (parts.hostname or "localhost").lower()
    return _origin(parts.scheme or "http", "localhost" if host == "0.0.0.0" else host, parts.port) + "/"


async def announce_url() -> None:
    """Lifespan task (development): print the address to open, after Reflex's own "App running at" line, whose
    0.0.0.0 is the listening address rather than a page address."""
    settings = get_settings()
    if not settings.is_production:
        print(f"\n  JO E-Tickets: open {open_url(settings)} in your browser.\n", flush=True)
