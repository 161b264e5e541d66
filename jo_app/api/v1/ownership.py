"""Ticket ownership: name a ticket's holder, transfer a ticket by e-mail (offer, list, cancel, accept); the live QR
(owner), the event rotation key (gate staff) and the static-QR switch (admin).

Ownership is checked in the services on every call: someone else's ticket or transfer is 404, a transfer link
accepted from an account with another e-mail address is 403. The acceptance token only ever travels in the
e-mail sent to the recipient; it is never returned by this API.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from jo_app.api.deps import Principal, client_ip, current_principal, get_db, require_roles, require_staff
from jo_app.api.errors import responses
from jo_app.api.v1.schemas import EMAIL_PATTERN, Input, UtcDatetime
from jo_app.models import Role
from jo_app.services.tickets import holders, live_ticket, qr_policy, transfer_accept, transfers

router = APIRouter(tags=["ownership"])
TicketId = Path(ge=1, le=2**31 - 1)
TransferId = Path(ge=1, le=2**31 - 1)
EventId = Path(ge=1, le=2**31 - 1)


HOLDER_NAME_PATTERN = holders.NAME_PATTERN  # what the service accepts: a letter, no invisible character


class HolderIn(Input):
    first_name: str = Field(min_length=1, max_length=50, pattern=HOLDER_NAME_PATTERN)
    last_name: str = Field(min_length=1, max_length=50, pattern=HOLDER_NAME_PATTERN)


class HolderOut(BaseModel):
    ticket_id: int
    first_name: str
    last_name: str
    holder_name: str


class TransferIn(Input):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN, description="The recipient's e-mail address.")
    lang: Literal["fr", "en"] | None = Field(None, description="Language of the offer e-mail when the recipient "
                                             "has no account (one with an account gets its own); default: the "
                                             "sender's.")


class TransferOut(BaseModel):
    id: int
    ticket_id: int
    ticket_number: str
    event_title: str
    event_starts_at: UtcDatetime
    persons: int
    from_name: str
    to_email: str
    status: str
    created_at: UtcDatetime
    expires_at: UtcDatetime
    outgoing: bool


class AcceptIn(Input):
    token: str = Field(min_length=16, max_length=128, description="The token of the link e-mailed to the recipient.")
    lang: Literal["fr", "en"] = Field("fr", deprecated=True, description="Ignored: each party is mailed in their "
                                      "own stored language.")


class AcceptedOut(BaseModel):
    transfer_id: int
    ticket_id: int


def _out(view: transfers.TransferView) -> TransferOut:
    return TransferOut(id=view.id, ticket_id=view.ticket_id, ticket_number=view.ticket_number,
                       event_title=view.event_title, event_starts_at=view.event_starts_at, persons=view.persons,
                       from_name=view.from_name, to_email=view.to_email, status=view.status,
                       created_at=view.created_at, expires_at=view.expires_at, outgoing=view.outgoing)


@router.put("/tickets/{ticket_id}/holder", response_model=HolderOut, responses=responses(401, 404, 409, 422))
def set_holder(body: HolderIn, request: Request, ticket_id: int = TicketId,
               principal: Principal = Depends(current_principal), db: Session = Depends(get_db)) -> HolderOut:
    """Name the person this ticket admits (until the cut-off before the session). Errors: `ticket_not_found`
    (404), `ticket_not_valid`, `cutoff_passed`, `ticket_changed` (409), `invalid_name` (422)."""
    holder = holders.set_holder(db, principal.user_id, ticket_id, body.first_name, body.last_name,
                                client_ip=client_ip(request))
    return HolderOut(ticket_id=holder.ticket_id, first_name=holder.first_name, last_name=holder.last_name,
                     holder_name=holder.full_name)


@router.post("/tickets/{ticket_id}/transfers", response_model=TransferOut, status_code=201,
             responses=responses(401, 404, 409, 422))
def start_transfer(body: TransferIn, request: Request, ticket_id: int = TicketId,
                   principal: Principal = Depends(current_principal), db: Session = Depends(get_db)) -> TransferOut:
    """Offer this ticket to an e-mail address; the recipient gets the acceptance link by e-mail. Errors:
    `ticket_not_found` (404), `transfer_pending`, `transfer_limit`, `ticket_not_valid`, `cutoff_passed` (409),
    `transfer_to_self`, invalid e-mail (422)."""
    started = transfers.start_transfer(db, principal.user_id, ticket_id, body.email, client_ip=client_ip(request),
                                       lang=body.lang)  # the offer mail: a durable job queued with the transfer
    views = [v for v in transfers.list_transfers(db, principal.user_id) if v.id == started.transfer_id]
    return _out(views[0])


@router.get("/transfers", response_model=list[TransferOut], responses=responses(401))
def list_transfers(principal: Principal = Depends(current_principal),
                   db: Session = Depends(get_db)) -> list[TransferOut]:
    """The caller's sent transfers and the pending ones offered to the caller's address, newest first."""
    return [_out(v) for v in transfers.list_transfers(db, principal.user_id)]


@router.delete("/transfers/{transfer_id}", status_code=204, response_class=Response,
               responses=responses(401, 404, 409, 422))
def cancel_transfer(request: Request, transfer_id: int = TransferId,
                    principal: Principal = Depends(current_principal), db: Session = Depends(get_db)) -> Response:
    """Withdraw one of the caller's pending transfers. Errors: `transfer_not_found` (404), `transfer_closed` (409)."""
    transfers.cancel_transfer(db, principal.user_id, transfer_id, client_ip=client_ip(request))
    return Response(status_code=204)


@router.post("/transfer-acceptances", response_model=AcceptedOut, responses=responses(401, 403, 404, 409, 422))
def accept_transfer(body: AcceptIn, request: Request,
                    principal: Principal = Depends(current_principal), db: Session = Depends(get_db)) -> AcceptedOut:
    """Accept a transfer sent to the caller's e-mail address: the ticket is re-keyed to the caller (new QR; the old
    one is refused at the gate as transferred). Errors: `transfer_not_found` (404), `transfer_wrong_account` (403),
    `transfer_closed`, `transfer_expired`, `ticket_not_valid`, `cutoff_passed`, `transfer_limit` (409)."""
    done = transfer_accept.accept_transfer(db, principal.user_id, body.token, client_ip=client_ip(request))
    return AcceptedOut(transfer_id=done.transfer_id, ticket_id=done.ticket_id)


class StaticQrIn(Input):
    enabled: bool


class RotationKeyOut(BaseModel):
    event_id: int
    key_b64: str
    algorithm: str
    step_seconds: int
    digits: int
    window_steps: int
    static_qr_enabled: bool


@router.get("/tickets/{ticket_id}/live-qr.png", response_class=Response, responses={
    200: {"content": {"image/png": {}}, "description": "The live QR now (signed ticket + time code, 15 s)."},
    **responses(401, 404, 409, 422)})
def live_qr(ticket_id: int = TicketId, principal: Principal = Depends(current_principal),
            db: Session = Depends(get_db)) -> Response:
    """The caller's live QR for a valid ticket; ask again every 15 s. `ticket_not_valid` (409) once used."""
    return Response(live_ticket.live_png(db, principal.user_id, ticket_id), media_type="image/png",
                    headers={"Cache-Control": "private, no-store", "Pragma": "no-cache"})


@router.get("/gate/events/{event_id}/rotation-key", response_model=RotationKeyOut,
            responses=responses(401, 403, 404, 422))
def rotation_key(event_id: int = EventId, _principal: Principal = Depends(require_staff),
                 db: Session = Depends(get_db)) -> RotationKeyOut:
    """The event rotation key K_e a gate device stores to check live QRs offline (staff only): ticket secret =
    HMAC-SHA256(K_e, qr_id), code = TOTP-SHA256 of it (step, digits, window as given)."""
    key = qr_policy.rotation_key(db, event_id)
    return RotationKeyOut(**key.__dict__)


@router.put("/admin/events/{event_id}/static-qr", status_code=204, response_class=Response,
            responses=responses(401, 403, 404, 422))
def set_static_qr(body: StaticQrIn, request: Request, event_id: int = EventId,
                  principal: Principal = Depends(require_roles(Role.ADMIN)),
                  db: Session = Depends(get_db)) -> Response:
    """Allow or refuse the static (printed/PDF) QR at the gates of one session (admin)."""
    qr_policy.set_static_qr(db, principal.user_id, event_id, body.enabled, client_ip=client_ip(request))
    return Response(status_code=204)
