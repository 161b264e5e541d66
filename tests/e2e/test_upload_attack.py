"""Attack on the real served app (`reflex run --env prod`): Reflex's `POST /_upload` (issue 11 item 5).

Raw sockets send the request headers and NO body: a server that answers has refused the upload before reading
it (before the fix it waited for the 300 MiB, then stored them in a temp file). A handler that takes no files
gave a 500 with a traceback; now 404. Control: an administrator's real multipart upload still goes through (the
browser flow is covered by tests/e2e/test_admin.py).
"""

from __future__ import annotations

import io
import json
import socket
import uuid
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from sqlmodel import Session

from jo_app.models import Role
from jo_app.services.accounts import sessions
from jo_app.state.catalog.admin import AdminCatalogState

UPLOAD = f"{AdminCatalogState.get_full_name()}.upload_event_image"
NOT_AN_UPLOAD = f"{AdminCatalogState.get_full_name()}.remove_image"
MiB = 1024 * 1024


def _raw_headers_only(url: str, headers: dict[str, str], timeout: float = 10.0) -> tuple[int, dict]:
    """Send the request line and headers of `POST /_upload`, no body; return (status, JSON body) of the answer
    (socket.timeout if the server waits for the body)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        lines = ["POST /_upload HTTP/1.1", f"Host: {parts.netloc}", *[f"{k}: {v}" for k, v in headers.items()]]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def _cookie(engine, make_visitor, role: Role) -> str:
    _email, _password, user_id = make_visitor(role=role)
    with Session(engine) as session:
        token = sessions.create_session(session, user_id)
        session.commit()
    return f"jo_session={token}"


def _upload_headers(handler: str = UPLOAD, **extra: str) -> dict[str, str]:
    return {"Reflex-Client-Token": str(uuid.uuid4()), "Reflex-Event-Handler": handler,
            "Content-Type": "multipart/form-data; boundary=xyz", **extra}


def test_anonymous_300_mib_upload_is_refused_before_the_body(live_app) -> None:
    status, body = _raw_headers_only(live_app.url, _upload_headers(**{"Content-Length": str(300 * MiB)}))
    assert status == 413 and body["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("transfer", ["length", "chunked"])
def test_anonymous_upload_is_refused_before_the_body(live_app, transfer) -> None:
    extra = {"Content-Length": "100000"} if transfer == "length" else {"Transfer-Encoding": "chunked"}
    status, body = _raw_headers_only(live_app.url, _upload_headers(**extra))
    assert status == 401 and body["error"]["code"] == "unauthorized"


def test_a_visitor_upload_is_refused_before_the_body(live_app, make_visitor) -> None:
    cookie = _cookie(live_app.engine, make_visitor, Role.VISITOR)
    status, body = _raw_headers_only(live_app.url, _upload_headers(
        Cookie=cookie, Origin=live_app.url, **{"Content-Length": "100000"}))
    assert status == 403 and body["error"]["code"] == "forbidden"


@pytest.mark.parametrize("handler", [NOT_AN_UPLOAD, "no.such.handler"])
def test_a_non_upload_handler_gets_404_not_500(live_app, handler) -> None:
    files = {"files": ("a.png", b"\x89PNG....", "image/png")}
    log_start = live_app.log_path.stat().st_size
    response = httpx.post(f"{live_app.url}/_upload", files=files, timeout=20,
                          headers={"Reflex-Client-Token": str(uuid.uuid4()), "Reflex-Event-Handler": handler})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    with live_app.log_path.open("rb") as log:
        log.seek(log_start)
        assert b"Traceback" not in log.read()


def test_an_admin_upload_still_goes_through(live_app, make_visitor) -> None:
    cookie = _cookie(live_app.engine, make_visitor, Role.ADMIN)
    image = io.BytesIO()
    Image.new("RGB", (64, 40), (200, 10, 10)).save(image, "PNG")
    response = httpx.post(f"{live_app.url}/_upload", timeout=30,
                          files={"files": ("poster.png", image.getvalue(), "image/png")},
                          headers={"Reflex-Client-Token": str(uuid.uuid4()), "Reflex-Event-Handler": UPLOAD,
                                   "Cookie": cookie, "Origin": live_app.url, "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200, response.text
    # Too big for the cap, even for an administrator: 413 at once.
    status, _body = _raw_headers_only(live_app.url, _upload_headers(
        Cookie=cookie, Origin=live_app.url, **{"Content-Length": str(300 * MiB)}))
    assert status == 413
