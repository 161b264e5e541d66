"""Login throttling: growing delays instead of a fixed account lockout, with per-device budgets.

A fixed lock (5 failures = account locked 15 minutes) let anyone lock any account, administrators included. Now a
failed attempt only delays the next attempts *of the same scope*, and a known device (a valid device cookie of the
account, `services.accounts.device_cookies`) is a scope of its own that failures elsewhere never touch (OWASP device
cookies). With T = `lockout_threshold` (5) and W = `lockout_window_seconds` (15 min):

| scope (failures counted)                                   | free failures | then wait after the last failure |
|------------------------------------------------------------|---------------|----------------------------------|
| known device: this device's failures on this account       | T             | 1 s, 2 s, 4 s ... doubling, max W |
| untrusted, per (account, address)                          | T             | same                             |
| untrusted, per account (every address)                     | 2 T           | same                             |
| untrusted, per address (every account): the former lock    | T within W    | until the T-th newest leaves W   |

Failures are counted over the last `MEMORY` (24 h) and since the scope's last success. "Untrusted" = no valid
device cookie of this account. A refused attempt (`LockedOutError`, `locked_out`, 429 over HTTP) checks no
password and is not counted, so waiting is what lifts it. Consequences: an attacker gets about 2 T + 10 guesses in
the first 17 minutes on one account, then one per W (~100 a day), however many addresses he has; the owner on a
known device keeps logging in; the owner on a new device is slowed (at most W per attempt), never locked.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import LoginAttempt

MEMORY = timedelta(hours=24)
COUNT_LIMIT = 64  # enough failures to reach the longest wait


def growing_wait(failures: int, free: int, cap: int) -> int:
    """Seconds to wait after the last failure when `failures` were counted and `free` are allowed."""
    if failures < free:
        return 0
    return min(cap, 2 ** min(failures - free, 30))


def _retry_after(session: Session, scope: ColumnElement[bool], free: int, now: datetime) -> int | None:
    """Seconds left before the scope's next attempt (None when allowed now)."""
    settings = get_settings()
    since = now - MEMORY
    last_success = session.exec(
        select(LoginAttempt.created_at).where(scope, LoginAttempt.succeeded, LoginAttempt.created_at >= since)
        .order_by(LoginAttempt.created_at.desc()).limit(1)
    ).first()
    failures = session.exec(
        select(LoginAttempt.created_at)
        .where(scope, ~LoginAttempt.succeeded, LoginAttempt.created_at > max(since, last_success or since))
        .order_by(LoginAttempt.created_at.desc()).limit(COUNT_LIMIT)
    ).all()
    wait = growing_wait(len(failures), free, settings.lockout_window_seconds)
    if not wait:
        return None
    left = (failures[0] + timedelta(seconds=wait) - now).total_seconds()
    return math.ceil(left) if left > 0 else None


def _address_lock(session: Session, client_ip: str, now: datetime) -> int | None:
    """The per-address limit: T untrusted failures (any accounts) within W lock the address until the T-th
    newest failure leaves W."""
    settings = get_settings()
    failures = session.exec(
        select(LoginAttempt.created_at)
        .where(LoginAttempt.client_ip == client_ip, LoginAttempt.device_id.is_(None), ~LoginAttempt.succeeded,
               LoginAttempt.created_at > now - timedelta(seconds=settings.lockout_window_seconds))
        .order_by(LoginAttempt.created_at.desc()).limit(settings.lockout_threshold)
    ).all()
    if len(failures) < settings.lockout_threshold:
        return None
    expires = failures[-1] + timedelta(seconds=settings.lockout_window_seconds)
    return max(1, math.ceil((expires - now).total_seconds()))


def retry_after(session: Session, email: str, client_ip: str | None, device_id: str | None,
                now: datetime) -> int | None:
    """Seconds before this attempt may be considered (None: go ahead). `device_id`: a known device of the
    account behind `email` (checked by the caller), else None."""
    threshold = get_settings().lockout_threshold
    if device_id is not None:
        return _retry_after(session, and_(LoginAttempt.email == email, LoginAttempt.device_id == device_id),
                            threshold, now)
    untrusted = and_(LoginAttempt.email == email, LoginAttempt.device_id.is_(None))
    waits = [_retry_after(session, untrusted, 2 * threshold, now)]
    if client_ip:
        waits.append(_retry_after(session, and_(untrusted, LoginAttempt.client_ip == client_ip), threshold, now))
        waits.append(_address_lock(session, client_ip, now))
    found = [w for w in waits if w is not None]
    return max(found) if found else None
