"""The language of a user's e-mails over the REST API: chosen at sign-up (`lang`, else Accept-Language), read and
changed on /auth/me; the mails that follow use it (real SMTP server on loopback, SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from jo_app.i18n import text
from jo_app.models import User
from jo_app.services.accounts.common import find_active_user_by_email
from tests.api.conftest import PASSWORD, World, assert_error, bearer
from tests.smtp_capture import SmtpCollector, smtp_capture


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch, tmp_path, engine) -> Iterator[SmtpCollector]:
    with smtp_capture(monkeypatch, tmp_path / "outbox", engine) as collector:
        yield collector


def _stored(world: World, email: str) -> str:
    with Session(world.engine) as db:
        user = find_active_user_by_email(db, email)
        return str(user.lang)


@pytest.mark.parametrize(("header", "body_lang", "expected"), [
    ("en-GB,en;q=0.9,fr;q=0.5", None, "en"),
    ("de-DE,fr;q=0.4,en;q=0.8", None, "en"),
    ("de-DE", None, "fr"),
    ("en-US", "fr", "fr"),
])
def test_sign_up_language_from_the_body_or_accept_language(client: TestClient, world: World, smtp: SmtpCollector,
                                                           header: str, body_lang: str | None, expected: str) -> None:
    email = f"new.{uuid.uuid4().hex[:8]}@example.org"
    body = {"email": email, "password": PASSWORD, "first_name": "Sam", "last_name": "Lee", "consent": True}
    if body_lang:
        body["lang"] = body_lang
    response = client.post("/api/v1/auth/register", json=body, headers={"Accept-Language": header})
    assert response.status_code == 201, response.text
    assert _stored(world, email) == expected
    [code_mail] = smtp.to(email)
    assert code_mail["Subject"] == text("mail.subject", expected, subject=text("mail.code.subject_verify", expected))


def test_me_shows_and_changes_the_mail_language(client: TestClient, world: World, smtp: SmtpCollector) -> None:
    headers = bearer(client, world.visitor)
    assert client.get("/api/v1/auth/me", headers=headers).json()["lang"] == "fr"
    changed = client.patch("/api/v1/auth/me", json={"lang": "en"}, headers=headers)
    assert changed.status_code == 200 and changed.json()["lang"] == "en"
    assert client.get("/api/v1/auth/me", headers=headers).json()["lang"] == "en"
    with Session(world.engine) as db:
        assert str(db.get(User, world.visitor.id).lang) == "en"
    assert_error(client.patch("/api/v1/auth/me", json={"lang": "de"}, headers=headers), 422)
    assert_error(client.patch("/api/v1/auth/me", json={"lang": "fr"}), 401)

    # A reset asked with the (ignored, deprecated) French `lang` comes in the stored English.
    assert client.post("/api/v1/auth/password-reset", json={"email": world.visitor.email, "lang": "fr"}).status_code \
        == 202
    [reset] = smtp.to(world.visitor.email)
    assert reset["Subject"] == text("mail.subject", "en", subject=text("mail.code.subject_reset", "en"))
