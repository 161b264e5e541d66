"""A short-lived, per-process cache of resolved login sessions, for the web UI's identity checks.

Every Reflex handler that reads private data or changes anything resolves the session cookie to a user and role
(`jo_app.state.auth`). Reading it from the database on every event cost one query (and often one thread hop) per
websocket event: 4 per UI order. This cache keeps a resolved `SessionInfo` for `identity_cache_seconds` (2 s by
default, at most 10) so that a burst of events from one tab reads it once; it stays server-side authoritative:

- Bounded: an entry is never used after its deadline, nor after the session's absolute expiry; an unknown,
  revoked or expired token is never cached (it is looked up again each time).
- At once in this process: any commit that changes a user (role, lock, anonymization, password, ...) drops that
  user's entries; any bulk UPDATE / DELETE of `users` or `user_sessions` (logout, "log out everywhere", token
  rotation, admin revocations) clears the whole cache. This is done by SQLAlchemy session events, so every code
  path that goes through an ORM `Session` of this process is covered, services included.
- Within `identity_cache_seconds` elsewhere: a change committed by another process (another Granian worker, the
  CLI, a manual SQL statement) is seen once the entry's deadline passes.
A read racing a commit that invalidates cannot re-insert the old value (a generation counter).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.models import User, UserSession
from jo_app.services.accounts.sessions import SessionInfo, resolve_session
from jo_app.services.keys import hash_token
from jo_app.timeutil import utcnow

_IDENTITY_TABLES = frozenset({User.__tablename__, UserSession.__tablename__})
_HARMLESS_COLUMNS = frozenset({"last_seen_at"})  # the once-a-minute touch of a session changes no identity
_DIRTY_USERS = "jo_identity_dirty_users"
_DIRTY_ALL = "jo_identity_dirty_all"
_MAX_ENTRIES = 100_000

_lock = threading.Lock()
_entries: dict[str, tuple[SessionInfo, float, datetime]] = {}  # token hash -> (info, monotonic deadline, expiry)
_generation = 0


def ttl() -> float:
    return get_settings().identity_cache_seconds


def lookup(token: str | None) -> SessionInfo | None:
    """The cached identity behind `token` if fresh, else None (then call `resolve`)."""
    if not token or ttl() <= 0:
        return None
    key = hash_token(token)
    entry = _entries.get(key)
    if entry is None:
        return None
    info, deadline, expires_at = entry
    if time.monotonic() >= deadline or utcnow() >= expires_at:
        with _lock:
            if _entries.get(key) is entry:
                del _entries[key]
        return None
    return info


def resolve(session: Session, token: str | None) -> SessionInfo | None:
    """`lookup`, else `sessions.resolve_session` from the database (and remember a valid result)."""
    cached = lookup(token)
    if cached is not None or not token:
        return cached
    generation = _generation
    info = resolve_session(session, token)
    seconds = ttl()
    if info is None or seconds <= 0:
        return info
    expires_at = session.get(UserSession, info.session_id).expires_at
    with _lock:
        if generation == _generation:  # no invalidation since the read began
            if len(_entries) >= _MAX_ENTRIES:
                _entries.clear()
            _entries[hash_token(token)] = (info, time.monotonic() + seconds, expires_at)
    return info


def clear() -> None:
    """Forget every entry (and any read in flight)."""
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()


def forget_users(user_ids: set[int]) -> None:
    """Forget the entries of these users (and any read in flight)."""
    global _generation
    with _lock:
        _generation += 1
        for key in [key for key, (info, _d, _e) in _entries.items() if info.user_id in user_ids]:
            del _entries[key]


def size() -> int:
    return len(_entries)


# --- invalidation by SQLAlchemy session events (every ORM Session of this process) ------------------------------

@event.listens_for(OrmSession, "before_flush")
def _note_flushed(session: OrmSession, _context: Any, _instances: Any) -> None:
    users: set[int] = session.info.setdefault(_DIRTY_USERS, set())
    for obj in session.deleted:
        if isinstance(obj, (User, UserSession)):
            users.add(int(obj.id if isinstance(obj, User) else obj.user_id))
    for obj in session.dirty:
        if isinstance(obj, User) and session.is_modified(obj):
            users.add(int(obj.id))
        elif isinstance(obj, UserSession) and _changed_columns(obj) - _HARMLESS_COLUMNS:
            users.add(int(obj.user_id))


def _changed_columns(obj: Any) -> set[str]:
    return {attr.key for attr in inspect(obj).attrs if attr.history.has_changes()}


@event.listens_for(OrmSession, "do_orm_execute")
def _note_bulk(execute_state: Any) -> None:
    if not (execute_state.is_update or execute_state.is_delete):
        return
    table = getattr(execute_state.statement, "table", None)
    if getattr(table, "name", None) not in _IDENTITY_TABLES:
        return
    values = getattr(execute_state.statement, "_values", None) or {}
    columns = {getattr(key, "key", None) or getattr(key, "name", None) or str(key) for key in values}
    if execute_state.is_update and columns and columns <= _HARMLESS_COLUMNS:
        return
    execute_state.session.info[_DIRTY_ALL] = True


@event.listens_for(OrmSession, "after_commit")
def _apply(session: OrmSession) -> None:
    users = session.info.pop(_DIRTY_USERS, None)
    if session.info.pop(_DIRTY_ALL, False):
        clear()
    elif users:
        forget_users(users)


@event.listens_for(OrmSession, "after_rollback")
def _discard(session: OrmSession) -> None:
    session.info.pop(_DIRTY_USERS, None)
    session.info.pop(_DIRTY_ALL, None)
