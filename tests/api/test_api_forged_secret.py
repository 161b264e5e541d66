"""Issue 11 item 3 over the API: an admin access token forged with the published default SECRET_KEY is refused
by a development install (which now signs with its own generated secret)."""

from __future__ import annotations

from pathlib import Path

import jwt
from sqlmodel import Session

from jo_app.api import tokens
from jo_app.config import DEFAULT_SECRET, PUBLISHED_SECRETS, get_settings
from jo_app.models import Role
from jo_app.services.accounts import sessions, users


def test_an_admin_token_forged_with_the_published_default_is_refused(client, world, monkeypatch,
                                                                     tmp_path: Path) -> None:
    """The reported attack: sign an admin access token with the published default key. On a dev install (no
    SECRET_KEY: its own generated secret) the API refuses it, while a token it issued itself is accepted."""
    monkeypatch.setenv("JO_ENV", "dev")
    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "secret_key"))
    get_settings.cache_clear()
    try:
        assert get_settings().secret_key not in PUBLISHED_SECRETS
        with Session(world.engine) as db:
            admin = users.create_user(db, email="root@example.org", password="Sprint!Paris2024", first_name="R",
                                      last_name="A", role=Role.ADMIN, verified=True)
            db.commit()
            session_id = sessions.resolve_session(db, sessions.create_session(db, admin.id)).session_id
        genuine, _ = tokens.issue_access_token(admin.id, session_id, Role.ADMIN.value)
        claims = jwt.decode(genuine, options={"verify_signature": False})
        forged = jwt.encode(claims | {"jti": "forged"}, tokens._derive_key(DEFAULT_SECRET), algorithm="HS256")
        ok = client.get("/api/v1/admin/stats", headers={"Authorization": f"Bearer {genuine}"})
        assert ok.status_code == 200, ok.text
        refused = client.get("/api/v1/admin/stats", headers={"Authorization": f"Bearer {forged}"})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_token"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
