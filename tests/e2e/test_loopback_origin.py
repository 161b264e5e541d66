"""Issue 13 item 4: outside production the app is live at every loopback spelling of its own address and port.

The e2e app runs with JO_ENV=test and APP_URL=http://127.0.0.1:<port>. A person who opens http://localhost:<port>
(what `make run` tells them to open is APP_URL; Reflex itself prints 0.0.0.0) gets a live page: it hydrates and a
click works (the language switch is a websocket event). The websocket handshake still refuses a foreign origin
and another port.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from tests.e2e.clicks import DESKTOP


def handshake_status(app_url: str, origin: str) -> int:
    """HTTP status of a raw websocket upgrade of Reflex's event socket sent with `origin`."""
    port = urlsplit(app_url).port
    request = (f"GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
        conn.sendall(request.encode())
        status_line = conn.recv(4096).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def test_localhost_spelling_is_live(new_context, live_app) -> None:
    port = urlsplit(live_app.url).port
    page = new_context(viewport=DESKTOP, base_url=f"http://localhost:{port}").new_page()
    page.goto("/")
    page.locator("#page-shell[data-hydrated=true]").wait_for(timeout=30_000)
    page.locator("#lang-en").click()
    page.locator("header nav").get_by_role("link", name="Log in", exact=True).wait_for()
    assert page.locator("#page-shell").get_attribute("lang") == "en"


def test_handshake_accepts_loopback_aliases_only(live_app) -> None:
    port = urlsplit(live_app.url).port
    for origin in (live_app.url, f"http://localhost:{port}", f"http://0.0.0.0:{port}", f"http://[::1]:{port}"):
        assert handshake_status(live_app.url, origin) == 101, origin
    for origin in ("http://evil.example", f"http://evil.example:{port}", f"http://localhost:{port + 1}",
                   f"https://localhost:{port}", f"http://127.0.0.2:{port}", "null"):
        assert handshake_status(live_app.url, origin) in (400, 403), origin
