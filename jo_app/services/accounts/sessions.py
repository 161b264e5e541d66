"""Server-side login sessions. The browser only holds a random token (HttpOnly cookie); the database keeps its hash.

A session dies when revoked, after `session_absolute_seconds` from creation, after `session_idle_seconds` without
use, or as soon as its user is locked or anonymized.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import User, UserSession
from jo_app.services.errors import NotFoundError
from jo_app.services.keys import hash_token
from jo_app.timeutil import utcnow

TOUCH_INTERVAL = timedelta(seconds=60)  # last_seen_at is written at most once a minute


@dataclass(frozen=True)
class SessionInfo:
    """The signed-in user behind a valid session token."""

    session_id: int
    user_id: int
    role: str
    email: str
    first_name: str
    last_name: str
    is_verified: bool
    totp_enabled: bool


@dataclass(frozen=True)
class SessionSummary:
    """One active session, for the "your devices" page."""

    session_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    client_ip: str | None
    user_agent: str | None
    is_current: bool


def _is_alive(row: UserSession, now: datetime) -> bool:
    idle_limit = now - timedelta(seconds=get_settings().session_idle_seconds)
    return row.revoked_at is None and row.expires_at > now and row.last_seen_at > idle_limit


def create_session(session: Session, user_id: int, *, client_ip: str | None = None,
                   user_agent: str | None = None) -> str:
    """Open a session for `user_id` and return its token (shown once, never stored in clear). Commits."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(UserSession(
        user_id=user_id,
        token_hash=hash_token(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=get_settings().session_absolute_seconds),
        client_ip=(client_ip or None) and client_ip[:45],
        user_agent=(user_agent or None) and user_agent[:255],
    ))
    session.commit()
    return token


def resolve_session(session: Session, token: str | None) -> SessionInfo | None:
    """The user behind `token`, or None if the session is unknown, revoked, expired or its user is barred.

    Refreshes `last_seen_at` (and commits) at most once a minute.
    """
    if not token:
        return None
    row = session.exec(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == hash_token(token))
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        return None
    user_session, user = row
    now = utcnow()
    if not _is_alive(user_session, now) or user.is_locked or user.anonymized_at is not None:
        return None
    if now - user_session.last_seen_at >= TOUCH_INTERVAL:
        session.execute(
            update(UserSession).where(UserSession.id == user_session.id).values(last_seen_at=now)
        )
        session.commit()
    return SessionInfo(
        session_id=user_session.id, user_id=user.id, role=user.role, email=user.email,
        first_name=user.first_name, last_name=user.last_name, is_verified=user.is_verified,
        totp_enabled=user.totp_enabled,
    )


def revoke_session(session: Session, token: str | None) -> None:
    """Log out the session holding `token`, or the one it was rotated into (no error if unknown). Commits."""
    if not token:
        return
    hashed = hash_token(token)
    session.execute(
        update(UserSession)
        .where(or_(UserSession.token_hash == hashed, UserSession.previous_token_hash == hashed),
               UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.commit()


def rotate_token(session: Session, token: str | None) -> tuple[str, SessionInfo] | None:
    """Refresh-token rotation with reuse detection (OAuth 2.0 security BCP). Commits.

    A live token is exchanged for a new one (same session, so access tokens minted from it stay revocable
    together). Presenting a token that was already rotated means two parties hold it: the session is revoked.
    Of two concurrent rotations of one token, one wins and the other gets None.
    """
    if not token:
        return None
    presented = hash_token(token)
    reused = session.execute(
        update(UserSession)
        .where(UserSession.previous_token_hash == presented, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if reused.rowcount:
        session.commit()
        return None
    info = resolve_session(session, token)
    if info is None:
        return None
    new_token = secrets.token_urlsafe(32)
    swapped = session.execute(
        update(UserSession)
        .where(UserSession.id == info.session_id, UserSession.token_hash == presented)
        .values(token_hash=hash_token(new_token), previous_token_hash=presented)
    )
    if swapped.rowcount != 1:
        session.rollback()
        return None
    session.commit()
    return new_token, info


def revoke_session_by_id(session: Session, user_id: int, session_id: int) -> None:
    """Log out one of the user's own sessions; another user's session id is reported as not found. Commits."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.user_id == user_id)
        .values(revoked_at=utcnow())
    )
    if result.rowcount != 1:
        session.rollback()
        raise NotFoundError("Session not found.", code="session_not_found")
    session.commit()


def revoke_all_sessions(session: Session, user_id: int, *, except_token: str | None = None,
                        commit: bool = True) -> int:
    """"Log out everywhere": revoke every open session of the user but `except_token`'s; returns how many.

    Commits unless `commit=False` (for callers that revoke inside a larger transaction).
    """
    stmt = (
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if except_token:
        stmt = stmt.where(UserSession.token_hash != hash_token(except_token))
    count = session.execute(stmt).rowcount
    if commit:
        session.commit()
    return int(count or 0)


def list_sessions(session: Session, user_id: int, current_token: str | None = None) -> list[SessionSummary]:
    """The user's active sessions, most recently used first."""
    now = utcnow()
    current_hash = hash_token(current_token) if current_token else None
    rows = session.exec(
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.expires_at > now)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()
    return [
        SessionSummary(
            session_id=row.id, created_at=row.created_at, last_seen_at=row.last_seen_at,
            expires_at=row.expires_at, client_ip=row.client_ip, user_agent=row.user_agent,
            is_current=current_hash is not None and row.token_hash == current_hash,
        )
        for row in rows
        if _is_alive(row, now)
    ]
