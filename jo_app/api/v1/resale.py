"""Official resale at face value: list / withdraw one's tickets, see one's listings; admin switch, fee and figures.

A listed ticket is bought through the normal `POST /orders` of its offer (resale first, then fresh seats).
Someone else's ticket or listing is 404, like an unknown one.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from jo_app.api.deps import Principal, client_ip, current_principal, get_db, require_roles
from jo_app.api.errors import responses
from jo_app.api.v1.schemas import Input, UtcDatetime
from jo_app.models import Role
from jo_app.services.tickets import resale

router = APIRouter(tags=["resale"])
TicketId = Path(ge=1, le=2**31 - 1)
ListingId = Path(ge=1, le=2**31 - 1)
EventId = Path(ge=1, le=2**31 - 1)


class ListingOut(BaseModel):
    id: int
    ticket_id: int
    event_id: int
    offer_id: int
    persons: int
    price_cents: int
    fee_cents: int
    status: str
    created_at: UtcDatetime


class EventResaleIn(Input):
    enabled: bool
    fee_bps: int = Field(0, ge=0, le=5000, description="The organiser's fee in basis points (500 = 5 %).")


class ResaleFiguresOut(BaseModel):
    listed: int
    sold: int
    withdrawn: int
    resold_cents: int
    fees_cents: int


def _out(view: resale.ListingView) -> ListingOut:
    return ListingOut(**view.__dict__)


@router.post("/tickets/{ticket_id}/resale", response_model=ListingOut, status_code=201,
             responses=responses(401, 404, 409, 422))
def list_ticket(request: Request, ticket_id: int = TicketId,
                principal: Principal = Depends(current_principal), db: Session = Depends(get_db)) -> ListingOut:
    """Put one of the caller's tickets on resale at its face value. Errors: `ticket_not_found` (404),
    `resale_closed`, `already_listed`, `transfer_pending`, `ticket_not_valid`, `cutoff_passed` (409)."""
    listing = _out(resale.list_ticket(db, principal.user_id, ticket_id, client_ip=client_ip(request)))
    return listing


@router.get("/resale", response_model=list[ListingOut], responses=responses(401))
def my_listings(principal: Principal = Depends(current_principal),
                db: Session = Depends(get_db)) -> list[ListingOut]:
    """The caller's listings, newest first."""
    return [_out(v) for v in resale.my_listings(db, principal.user_id)]


@router.delete("/resale/{listing_id}", status_code=204, response_class=Response,
               responses=responses(401, 404, 409, 422))
def withdraw(request: Request, listing_id: int = ListingId,
             principal: Principal = Depends(current_principal), db: Session = Depends(get_db)) -> Response:
    """Take back a listed ticket. Errors: `listing_not_found` (404), `listing_closed` (409), `listing_held` (409:
    a buyer's cart holds it until its hold ends, see docs/ticket-ownership.md)."""
    resale.withdraw(db, principal.user_id, listing_id, client_ip=client_ip(request))
    return Response(status_code=204)


@router.put("/admin/events/{event_id}/resale", status_code=204, response_class=Response,
            responses=responses(401, 403, 404, 422))
def set_event_resale(body: EventResaleIn, request: Request, event_id: int = EventId,
                     principal: Principal = Depends(require_roles(Role.ADMIN)),
                     db: Session = Depends(get_db)) -> Response:
    """Open or close resale for a session, with the organiser's fee (admin)."""
    resale.set_event_resale(db, principal.user_id, event_id, enabled=body.enabled, fee_bps=body.fee_bps,
                            client_ip=client_ip(request))
    return Response(status_code=204)


@router.get("/admin/resale", response_model=ResaleFiguresOut, responses=responses(401, 403))
def figures(_principal: Principal = Depends(require_roles(Role.ADMIN)),
            db: Session = Depends(get_db)) -> ResaleFiguresOut:
    """Resale figures: listed now, sold, withdrawn, face value resold and fees kept (admin)."""
    return ResaleFiguresOut(**resale.figures(db))
