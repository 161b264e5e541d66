"""Gate devices: scan verdicts (staff), verification keys (public) and revocations (staff) for offline scanners."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jo_app.api import ratelimit
from jo_app.api.deps import (
    CALLER_SECURITY,
    STAFF_ROLES,
    Caller,
    Credentials,
    Principal,
    authenticate,
    authorize,
    caller,
    client_ip,
    get_db,
    require_staff,
)
from jo_app.api.errors import responses
from jo_app.api.offload import json_response, run_blocking
from jo_app.api.v1 import convert
from jo_app.api.v1.schemas import IsoDatetime, KeyOut, KeysOut, RevocationOut, RevocationsOut, ScanIn, ScanOut
from jo_app.services.gate import admission as gate
from jo_app.services.gate import reports as gate_reports
from jo_app.services.tickets import signing

router = APIRouter(tags=["gate"])
MAX_REVOCATIONS = 5000


def _scan(engine: Engine, credentials: Credentials, address: str | None, body: ScanIn) -> gate.ScanResult:
    """Identity and role from the database, rate limit, then the gate service: one worker-thread hop."""
    with Session(engine, expire_on_commit=False) as db:
        principal = authorize(authenticate(db, credentials), STAFF_ROLES)
        ratelimit.enforce("scans", address, f"user:{principal.user_id}")
        return gate.validate_scan(db, body.payload, employee_id=principal.user_id, gate=body.gate,
                                  event_id=body.event_id)


@router.post("/scans", response_model=ScanOut, responses=responses(401, 403, 422, 429),
             openapi_extra=CALLER_SECURITY)
async def scan(body: ScanIn, request: Request, who: Caller = Depends(caller)) -> Response:
    """Validate a scanned QR payload at a gate (employees and administrators).

    Exactly once: of any number of concurrent scans of one ticket, one only gets `VALID`. Every attempt is
    recorded. Only `VALID` means "admit"."""
    result = await run_blocking(_scan, who.engine, who.credentials, client_ip(request), body)
    return json_response(convert.scan(result))


@router.get("/keys", response_model=KeysOut)
def keys(db: Session = Depends(get_db)) -> KeysOut:
    """The Ed25519 public keys that verify ticket QR payloads, by key id (kid). Retired keys are left out:
    drop any kid no longer listed."""
    found = [KeyOut(kid=k["kid"], algorithm=k["algorithm"], public_key=k["public_key"], status=k["status"],
                    created_at=k["created_at"]) for k in signing.public_keys(db)]
    return KeysOut(keys=found, payload_format=(
        "'JO1:' + base32(version u8=1 | kid u16 | ticket_id u32 | event_id u32 | persons u8 | generated_at u32 "
        "| qr_id 8 bytes | key commitment 10 bytes | Ed25519 signature 64 bytes over the 34 bytes before it), "
        "big-endian, no padding"))


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # year 1 or 9999 with an offset
        return datetime.min if moment.year < 2000 else datetime.max


@router.get("/revocations", response_model=RevocationsOut, responses=responses(401, 403, 422))
def revocations(
    since: IsoDatetime | None = Query(default=None, description="ISO 8601 cursor (UTC when no offset)."),
    event_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
    _principal: Principal = Depends(require_staff),
    db: Session = Depends(get_db),
) -> RevocationsOut:
    """Tickets cancelled since `since` (all when omitted), oldest first, for offline scanners' block lists.
    Ask again from `next_since` minus a few minutes and de-duplicate by `qr_id`."""
    rows = gate_reports.revocations_since(db, _naive_utc(since) if since else None, event_id=event_id,
                                  limit=MAX_REVOCATIONS)
    items = [RevocationOut(**row) for row in rows]
    stamps = [r.cancelled_at for r in items if r.cancelled_at is not None]
    return RevocationsOut(items=items, next_since=max(stamps) if stamps else (since and _naive_utc(since)))
