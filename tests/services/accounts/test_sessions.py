"""Server-side sessions: creation, expiry, revocation, "log out everywhere"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import Role, User, UserSession
from jo_app.services.accounts import sessions, users
from jo_app.services.errors import NotFoundError
from jo_app.services.keys import hash_token
from jo_app.timeutil import utcnow

PASSWORD = "Sprint!Paris2024"


def make_user(session: Session, email: str = "camille@example.org", role: Role = Role.VISITOR) -> User:
    user = users.create_user(session, email=email, password=PASSWORD, first_name="Camille", last_name="Durand",
                             role=role, verified=True)
    session.commit()
    return user


def row_for(session: Session, token: str) -> UserSession:
    return session.exec(
        select(UserSession).where(UserSession.token_hash == hash_token(token))
        .execution_options(populate_existing=True)
    ).one()


def shift(session: Session, token: str, **values) -> None:
    session.execute(update(UserSession).where(UserSession.token_hash == hash_token(token)).values(**values))
    session.commit()


def test_create_and_resolve(session: Session) -> None:
    user = make_user(session)
    token = sessions.create_session(session, user.id, client_ip="10.0.0.1", user_agent="Firefox")
    assert len(token) >= 43
    row = row_for(session, token)
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    assert row.expires_at - row.created_at == timedelta(seconds=get_settings().session_absolute_seconds)
    info = sessions.resolve_session(session, token)
    assert info == sessions.SessionInfo(
        session_id=row.id, user_id=user.id, role="visitor", email="camille@example.org", first_name="Camille",
        last_name="Durand", is_verified=True, totp_enabled=False,
    )
    for bad in (None, "", "forged-token", token + "x"):
        assert sessions.resolve_session(session, bad) is None


def test_last_seen_is_touched_at_most_once_a_minute(session: Session) -> None:
    token = sessions.create_session(session, make_user(session).id)
    first_seen = row_for(session, token).last_seen_at
    assert sessions.resolve_session(session, token) is not None
    assert row_for(session, token).last_seen_at == first_seen
    old = utcnow() - timedelta(minutes=5)
    shift(session, token, last_seen_at=old)
    assert sessions.resolve_session(session, token) is not None
    assert row_for(session, token).last_seen_at > old + timedelta(minutes=4)


def test_idle_expiry(session: Session) -> None:
    token = sessions.create_session(session, make_user(session).id)
    idle = timedelta(seconds=get_settings().session_idle_seconds)
    shift(session, token, last_seen_at=utcnow() - idle + timedelta(minutes=2))
    assert sessions.resolve_session(session, token) is not None  # still inside the idle limit (and touched)
    shift(session, token, last_seen_at=utcnow() - idle - timedelta(seconds=1))
    assert sessions.resolve_session(session, token) is None


def test_absolute_expiry_even_when_active(session: Session) -> None:
    token = sessions.create_session(session, make_user(session).id)
    shift(session, token, expires_at=utcnow() - timedelta(seconds=1), last_seen_at=utcnow())
    assert sessions.resolve_session(session, token) is None


def test_revoke(session: Session) -> None:
    user = make_user(session)
    token = sessions.create_session(session, user.id)
    other = sessions.create_session(session, user.id)
    sessions.revoke_session(session, token)
    sessions.revoke_session(session, token)  # idempotent
    sessions.revoke_session(session, None)
    assert sessions.resolve_session(session, token) is None
    assert sessions.resolve_session(session, other) is not None


def test_revoke_by_id_enforces_ownership(session: Session) -> None:
    alice = make_user(session, "alice@example.org")
    bob = make_user(session, "bob@example.org")
    bob_token = sessions.create_session(session, bob.id)
    bob_session_id = row_for(session, bob_token).id
    with pytest.raises(NotFoundError):
        sessions.revoke_session_by_id(session, alice.id, bob_session_id)
    assert sessions.resolve_session(session, bob_token) is not None
    sessions.revoke_session_by_id(session, bob.id, bob_session_id)
    assert sessions.resolve_session(session, bob_token) is None


def test_log_out_everywhere_and_list(session: Session) -> None:
    user = make_user(session)
    other_user = make_user(session, "other@example.org")
    current = sessions.create_session(session, user.id, client_ip="10.0.0.1", user_agent="Phone")
    tokens = [sessions.create_session(session, user.id, user_agent=f"Device {i}") for i in range(3)]
    stranger = sessions.create_session(session, other_user.id)
    listed = sessions.list_sessions(session, user.id, current_token=current)
    assert len(listed) == 4
    assert [s.is_current for s in listed].count(True) == 1
    assert next(s for s in listed if s.is_current).user_agent == "Phone"
    sessions.revoke_session(session, tokens[0])
    assert len(sessions.list_sessions(session, user.id)) == 3
    assert sessions.revoke_all_sessions(session, user.id, except_token=current) == 2
    assert sessions.resolve_session(session, current) is not None
    assert all(sessions.resolve_session(session, t) is None for t in tokens)
    assert sessions.resolve_session(session, stranger) is not None
    assert [s.client_ip for s in sessions.list_sessions(session, user.id, current_token=current)] == ["10.0.0.1"]
    assert sessions.revoke_all_sessions(session, user.id) == 1
    assert sessions.list_sessions(session, user.id) == []


def test_locked_or_anonymized_user_session_dies(session: Session) -> None:
    user = make_user(session)
    token = sessions.create_session(session, user.id)
    # Even without revocation, a lock set straight in the database kills the session at once.
    session.execute(update(User).where(User.id == user.id).values(is_locked=True))
    session.commit()
    assert sessions.resolve_session(session, token) is None
    session.execute(update(User).where(User.id == user.id).values(is_locked=False, anonymized_at=utcnow()))
    session.commit()
    assert sessions.resolve_session(session, token) is None


def test_role_change_is_seen_by_existing_session(session: Session) -> None:
    admin = make_user(session, "admin@example.org", Role.ADMIN)
    user = make_user(session)
    token = sessions.create_session(session, user.id)
    users.set_role(session, admin.id, user.id, Role.EMPLOYEE)
    assert sessions.resolve_session(session, token).role == "employee"
