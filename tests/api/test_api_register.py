"""POST /api/v1/auth/register does not reveal whether an address already has an account: same status, headers and
body as a fresh sign-up; the existing account is untouched and its owner gets a notice on a real SMTP server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from jo_app.models import AuditLog, EmailCode, User
from jo_app.services.accounts import users
from jo_app.services.accounts.passwords import verify_password
from tests.api.conftest import PASSWORD, assert_error
from tests.mail_codes import code_in
from tests.smtp_capture import SmtpCollector, smtp_capture

INTRUDER_PASSWORD = "Relay#Marseille7"
VOLATILE_HEADERS = {"date", "content-length", "x-request-id"}


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch, tmp_path, engine) -> Iterator[SmtpCollector]:
    with smtp_capture(monkeypatch, tmp_path / "outbox", engine) as collector:
        yield collector


def _body(email: str, **overrides) -> dict:
    return {"email": email, "password": INTRUDER_PASSWORD, "first_name": "Mallory", "last_name": "Intrus",
            "consent": True} | overrides


def _shape(response) -> tuple:
    """Everything a caller sees, with the address replaced (each answer echoes the address it was given)."""
    body = response.json()
    email = body.pop("email", None)
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower() not in VOLATILE_HEADERS}
    return response.status_code, body, headers, email


def test_taken_address_gets_the_same_answer_and_the_owner_a_notice(client, world, smtp_server) -> None:
    owner_email = world.visitor.email
    with Session(world.engine) as db:
        before = db.get(User, world.visitor.id).model_dump()
    # Same length as the owner's address, so even Content-Length is the same.
    fresh_email = f"n{owner_email[1:]}".replace("@example.org", "@example.net")
    assert len(fresh_email) == len(owner_email)

    fresh = client.post("/api/v1/auth/register", json=_body(fresh_email))
    taken = client.post("/api/v1/auth/register", json=_body(f"  {owner_email.upper()} "))
    status, body, headers, echoed = _shape(fresh)
    assert (status, body, echoed) == (201, {"verification_sent": True}, fresh_email)
    assert _shape(taken) == (status, body, headers, owner_email)
    assert fresh.headers["content-length"] == taken.headers["content-length"]

    # The new address got a code, the owner a notice (no code) on the real SMTP server.
    [code_mail] = smtp_server.to(fresh_email)
    assert code_in(code_mail.get_body(("plain",)).get_content())
    [notice] = smtp_server.to(owner_email)
    notice_text = notice.get_body(("plain",)).get_content()
    assert "Tentative d'inscription" in str(notice["Subject"]) and "Bonjour Camille," in notice_text
    assert "/mot-de-passe-oublie" in notice_text and code_in(notice_text) is None
    assert "Mallory" not in notice_text

    # The existing account is untouched: same row, same password, no e-mail code; the attempt is audit-logged.
    with Session(world.engine) as db:
        after = db.get(User, world.visitor.id)
        assert after.model_dump() == before
        assert verify_password(PASSWORD, after.password_hash)
        assert not verify_password(INTRUDER_PASSWORD, after.password_hash)
        assert db.exec(select(EmailCode).where(EmailCode.user_id == world.visitor.id)).all() == []
        [entry] = db.exec(select(AuditLog).where(AuditLog.action == users.EXISTING_EMAIL_ACTION)).all()
        assert entry.target_id == str(world.visitor.id) and json.loads(entry.details) == {"notified": True}
        assert len(db.exec(select(User).where(User.email == owner_email)).all()) == 1
    assert_error(client.post("/api/v1/auth/token", json={"email": owner_email, "password": INTRUDER_PASSWORD}),
                 401, "invalid_credentials")
    assert client.post("/api/v1/auth/token", json={"email": owner_email, "password": PASSWORD}).status_code == 200

    # The new account exists (logging in does not wait for the e-mail verification).
    tokens = client.post("/api/v1/auth/token", json={"email": fresh_email, "password": INTRUDER_PASSWORD})
    assert tokens.status_code == 200 and tokens.json()["role"] == "visitor"


def test_invalid_sign_ups_fail_the_same_way_for_taken_and_free_addresses(client, world) -> None:
    for overrides in ({"consent": False}, {"password": "short"}, {"first_name": " "}):
        free = client.post("/api/v1/auth/register", json=_body("free.address@example.org", **overrides))
        taken = client.post("/api/v1/auth/register", json=_body(world.visitor.email, **overrides))
        # consent: the service's validation_error; short password, blank name: the schema's invalid_request.
        assert assert_error(free, 422)["code"] in ("validation_error", "invalid_request")
        assert (taken.status_code, taken.json()) == (free.status_code, free.json()), overrides


def test_openapi_documents_no_email_taken_conflict(client, world) -> None:
    spec = client.get("/api/openapi.json").json()
    operation = spec["paths"]["/api/v1/auth/register"]["post"]
    assert set(operation["responses"]) == {"201", "422", "429"}
    assert "enumeration" in operation["description"] and "409" not in json.dumps(operation["responses"])
    schema = spec["components"]["schemas"]["RegisterResponse"]
    assert set(schema["properties"]) == {"email", "verification_sent"}
