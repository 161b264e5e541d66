"""Per-session QR policy (admin): whether the gate still accepts the static QR (PDF, print), and the event rotation
key gate devices need to check live QRs offline."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from sqlmodel import Session

from jo_app.models import Event
from jo_app.services import audit
from jo_app.services.errors import NotFoundError
from jo_app.services.tickets import rotating_qr
from jo_app.timeutil import utcnow


@dataclass(frozen=True)
class RotationKey:
    event_id: int
    key_b64: str  # K_e, standard base64 (32 bytes)
    algorithm: str
    step_seconds: int
    digits: int
    window_steps: int
    static_qr_enabled: bool


def _event(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id) if isinstance(event_id, int) and 0 < event_id < 2**31 else None
    if event is None:
        raise NotFoundError("Event not found.", code="event_not_found")
    return event


def set_static_qr(session: Session, actor_id: int, event_id: int, enabled: bool, *,
                  client_ip: str | None = None) -> None:
    """Allow or refuse the static QR at the gate for one session (the caller checked the admin role). Commits."""
    event = _event(session, event_id)
    event.static_qr_enabled, event.updated_at = bool(enabled), utcnow()
    session.add(event)
    audit.record(session, "event.static_qr_set", actor_id=actor_id, target_type="event", target_id=event_id,
                 client_ip=client_ip, enabled=bool(enabled))
    session.commit()


def rotation_key(session: Session, event_id: int) -> RotationKey:
    """What a gate device of `event_id` stores to verify live QRs offline (the caller checked the staff role)."""
    event = _event(session, event_id)
    return RotationKey(event_id=event_id, key_b64=base64.b64encode(rotating_qr.event_rotation_key(event_id)).decode(),
                       algorithm="TOTP-HMAC-SHA256 (RFC 6238), ticket secret = HMAC-SHA256(K_e, qr_id bytes)",
                       step_seconds=rotating_qr.STEP_SECONDS, digits=rotating_qr.DIGITS,
                       window_steps=rotating_qr.WINDOW_STEPS, static_qr_enabled=event.static_qr_enabled)
