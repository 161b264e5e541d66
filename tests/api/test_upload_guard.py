"""Attack: Reflex's upload endpoint `POST /_upload` (issue 11 item 5), at the ASGI layer of the served app.

Before: the endpoint was exempt from the body limit and Reflex read the whole body into temp files before the
handler's own admin check (an anonymous 300 MiB upload was accepted); a handler that takes no files gave a 500.
Here the stack is the production security middleware around a recorder standing for Reflex's upload route; the
`receive` callable counts what the server read, so "refused before reading the body" is measured, not assumed.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import pytest
from sqlmodel import Session

from jo_app.api import upload_guard
from jo_app.models import Role
from jo_app.services.accounts import sessions
from jo_app.web.security import security_middleware
from tests.api.conftest import make_account

HANDLER = "reflex___state____state.test_upload____upload_state.upload_image"
OTHER_HANDLER = "reflex___state____state.test_upload____upload_state.remove_image"  # registered, not an upload
MiB = 1024 * 1024


@dataclass
class Recorder:
    """Stands for Reflex's upload route: records that it ran and the body it received."""

    called: bool = False
    body: bytes = b""

    async def __call__(self, scope, receive, send) -> None:
        self.called = True
        while True:
            message = await receive()
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


@dataclass
class Attack:
    """One request: headers, then a body sent in `chunks` chunks of `chunk` bytes (generated lazily)."""

    headers: dict[str, str]
    chunks: int = 1
    chunk: int = 1000
    read_chunks: int = 0
    responses: list[dict] = field(default_factory=list)

    async def receive(self) -> dict:
        self.read_chunks += 1
        more = self.read_chunks < self.chunks
        return {"type": "http.request", "body": b"x" * self.chunk, "more_body": more}

    async def send(self, message: dict) -> None:
        self.responses.append(message)

    @property
    def status(self) -> int:
        return self.responses[0]["status"]

    @property
    def error_code(self) -> str:
        return json.loads(self.responses[1]["body"])["error"]["code"]


def run(attack: Attack, path: str = "/_upload") -> Recorder:
    recorder = Recorder()
    scope = {"type": "http", "method": "POST", "path": path, "headers": [
        (k.lower().encode(), v.encode()) for k, v in attack.headers.items()], "query_string": b""}
    asyncio.run(security_middleware(recorder)(scope, attack.receive, attack.send))
    return recorder


@pytest.fixture
def guarded(engine, monkeypatch):
    """The test database for the guard, and the upload handler registered for administrators."""
    from jo_app.api.app import api
    from jo_app.api.deps import get_db_engine

    monkeypatch.setattr(upload_guard, "_allowed", {})
    upload_guard.allow_upload(HANDLER, [Role.ADMIN])
    api.dependency_overrides[get_db_engine] = lambda: engine
    yield engine
    api.dependency_overrides.pop(get_db_engine, None)


def cookie_for(engine, role: Role) -> str:
    with Session(engine) as session:
        account = make_account(session, role)
        token = sessions.create_session(session, account.id)
        session.commit()
    return f"jo_session={token}"


def headers(handler: str = HANDLER, cookie: str | None = None, length: int | None = 1000, **extra: str) -> dict:
    result = {"reflex-client-token": "d9a4c3c2-0000-4000-8000-000000000000", "reflex-event-handler": handler,
              "content-type": "multipart/form-data; boundary=xyz", "host": "localhost:3000",
              "sec-fetch-site": "same-origin", **extra}
    if length is not None:
        result["content-length"] = str(length)
    if cookie:
        result["cookie"] = cookie
    return result


def test_anonymous_300_mib_upload_is_refused_before_its_body_is_read(guarded) -> None:
    attack = Attack(headers(length=300 * MiB), chunks=300, chunk=MiB)
    recorder = run(attack)
    assert attack.status == 413 and attack.error_code == "payload_too_large"
    assert attack.read_chunks == 0 and not recorder.called


def test_anonymous_small_upload_is_refused_before_its_body_is_read(guarded) -> None:
    attack = Attack(headers())
    recorder = run(attack)
    assert attack.status == 401 and attack.read_chunks == 0 and not recorder.called


@pytest.mark.parametrize("role", [Role.VISITOR, Role.EMPLOYEE])
def test_non_admins_are_refused_before_the_body_is_read(guarded, role) -> None:
    attack = Attack(headers(cookie=cookie_for(guarded, role)))
    recorder = run(attack)
    assert attack.status == 403 and attack.error_code == "forbidden"
    assert attack.read_chunks == 0 and not recorder.called


def test_a_cross_site_request_with_the_admin_cookie_is_refused(guarded) -> None:
    attack = Attack(headers(cookie=cookie_for(guarded, Role.ADMIN), **{"sec-fetch-site": "cross-site"}))
    recorder = run(attack)
    assert attack.status == 403 and attack.read_chunks == 0 and not recorder.called


@pytest.mark.parametrize("handler", [OTHER_HANDLER, "nope", "reflex___state____state.update_vars_internal"])
def test_unknown_or_non_upload_handlers_get_404_never_500(guarded, handler) -> None:
    attack = Attack(headers(handler=handler, cookie=cookie_for(guarded, Role.ADMIN)))
    recorder = run(attack)
    assert attack.status == 404 and attack.error_code == "not_found"
    assert attack.read_chunks == 0 and not recorder.called


@pytest.mark.parametrize("missing", ["reflex-client-token", "reflex-event-handler"])
def test_missing_upload_headers_get_400(guarded, missing) -> None:
    sent = headers()
    del sent[missing]
    attack = Attack(sent)
    run(attack)
    assert attack.status == 400 and attack.read_chunks == 0


def test_an_admin_chunked_body_is_cut_off_at_the_cap(guarded) -> None:
    attack = Attack(headers(cookie=cookie_for(guarded, Role.ADMIN), length=None,
                            **{"transfer-encoding": "chunked"}), chunks=300, chunk=MiB)
    recorder = run(attack)
    assert attack.status == 413 and not recorder.called
    assert attack.read_chunks * MiB <= upload_guard.MAX_UPLOAD_BYTES + MiB


def test_an_admin_declaring_too_much_is_refused_at_once(guarded) -> None:
    attack = Attack(headers(cookie=cookie_for(guarded, Role.ADMIN), length=upload_guard.MAX_UPLOAD_BYTES + 1))
    run(attack)
    assert attack.status == 413 and attack.read_chunks == 0


def test_an_admin_upload_reaches_the_handler_whole(guarded) -> None:
    """Control: the administrator's image (2 MiB + framing) goes through, body replayed byte for byte."""
    chunks, chunk = 257, 8192
    size = chunks * chunk  # 2 MiB + 8 KiB
    attack = Attack(headers(cookie=cookie_for(guarded, Role.ADMIN), length=size), chunks=chunks, chunk=chunk)
    recorder = run(attack)
    assert attack.status == 200 and recorder.called and len(recorder.body) == size


def test_the_app_registers_exactly_the_catalogue_image_handlers() -> None:
    """The served app admits the two admin catalogue upload handlers, for administrators only."""
    import jo_app.jo_app  # noqa: F401  (builds the app: registers the handlers)

    allowed = upload_guard.allowed_handlers()
    assert sorted(name.rsplit(".", 1)[1] for name in allowed) == ["upload_event_image", "upload_offer_image"]
    assert set(allowed.values()) == {frozenset({"admin"})}
