"""The hot endpoints' shortcuts keep the ordinary behaviour: the bearer session read on the driver's cursor gives
the same row as SQLAlchemy, a remembered access token still expires, and orders and scans document the same
security schemes as the other routes."""

from __future__ import annotations

import time

from sqlalchemy.engine import Engine
from sqlmodel import Session

from jo_app.api import deps, tokens
from jo_app.api.app import api
from tests.api.conftest import World, token_for


def test_session_row_matches_sqlalchemy(client, world: World, engine: Engine) -> None:
    claims = tokens.decode_access_token(token_for(client, world.employee)["access_token"])
    with Session(engine) as db:
        fast = deps.bearer_session_row(db, claims.session_id)
        ordinary = db.connection().execute(deps._BEARER_SESSION, {"session_id": claims.session_id}).first()
        assert fast is not None and ordinary is not None
        assert tuple(fast) == tuple(ordinary)
        assert fast.role == "employee" and fast.user_id == world.employee.id
        assert deps.bearer_session_row(db, 2**31 - 1) is None


def test_a_remembered_token_still_expires(client, world: World, monkeypatch) -> None:
    token = token_for(client, world.visitor)["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200  # verified, then remembered
    assert token in tokens._verified
    real = time.time
    monkeypatch.setattr(tokens.time, "time", lambda: real() + 3600)  # past its 15 minutes
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_token"


def test_orders_and_scans_document_the_same_security_as_the_other_routes() -> None:
    spec = api.openapi()
    ordinary = spec["paths"]["/api/v1/orders"]["get"]["security"]
    assert ordinary == [{"bearer": []}, {"session_cookie": []}]
    assert spec["paths"]["/api/v1/orders"]["post"]["security"] == ordinary
    assert spec["paths"]["/api/v1/scans"]["post"]["security"] == ordinary
