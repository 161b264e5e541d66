"""The caller's tickets: list, detail, QR image (PNG) and printable PDF. Someone else's ticket is 404."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from sqlmodel import Session

from jo_app.api.deps import Principal, current_principal, get_db
from jo_app.api.errors import responses
from jo_app.api.v1 import convert
from jo_app.api.v1.schemas import TicketOut
from jo_app.services.orders import history as orders
from jo_app.services.tickets import render as ticket_render

router = APIRouter(prefix="/tickets", tags=["tickets"])
TicketId = Path(ge=1, le=2**31 - 1)
PRIVATE = {"Cache-Control": "private, no-store", "Pragma": "no-cache"}


@router.get("", response_model=list[TicketOut], responses=responses(401))
def list_tickets(principal: Principal = Depends(current_principal),
                 db: Session = Depends(get_db)) -> list[TicketOut]:
    """All the caller's tickets, by event date."""
    return [convert.ticket(t) for t in orders.list_tickets(db, principal.user_id)]


@router.get("/{ticket_id}", response_model=TicketOut, responses=responses(401, 404, 422))
def get_ticket(ticket_id: int = TicketId, principal: Principal = Depends(current_principal),
               db: Session = Depends(get_db)) -> TicketOut:
    return convert.ticket(orders.get_ticket_for_owner(db, principal.user_id, ticket_id))


@router.get("/{ticket_id}/qr.png", response_class=Response, responses={
    200: {"content": {"image/png": {}}, "description": "The QR code (a bearer credential: keep it private)."},
    **responses(401, 404, 422)})
def ticket_qr(ticket_id: int = TicketId, principal: Principal = Depends(current_principal),
              db: Session = Depends(get_db)) -> Response:
    ticket = orders.get_ticket_for_owner(db, principal.user_id, ticket_id)
    return Response(ticket_render.cached_ticket_png(db, ticket.id), media_type="image/png", headers=PRIVATE)


@router.get("/{ticket_id}/ticket.pdf", response_class=Response, responses={
    200: {"content": {"application/pdf": {}}, "description": "The printable A4 ticket."},
    **responses(401, 404, 422)})
def ticket_pdf(ticket_id: int = TicketId, principal: Principal = Depends(current_principal),
               db: Session = Depends(get_db),
               lang: str = Query(default="fr", pattern="^(fr|en)$", description="Language of the ticket.")) -> Response:
    ticket = orders.get_ticket_for_owner(db, principal.user_id, ticket_id)
    headers = {**PRIVATE, "Content-Disposition": f'attachment; filename="billet-{ticket.number}.pdf"'}
    return Response(ticket_render.cached_ticket_pdf(db, ticket.id, lang), media_type="application/pdf", headers=headers)
