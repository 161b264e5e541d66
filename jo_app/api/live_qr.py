"""GET /billets/{ticket_id}/live-qr.png: the owner's live QR for the ticket page (session cookie, owner only).

The page re-requests it every `rotating_qr.STEP_SECONDS`; the per-ticket secret never leaves the server. Anonymous:
401; someone else's, unknown or no longer valid ticket: 404. `private, no-store`: it is a bearer credential.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from jo_app.db import session_scope
from jo_app.services.accounts import sessions
from jo_app.services.errors import DomainError
from jo_app.services.tickets import live_ticket

router = APIRouter()
SESSION_COOKIE = "jo_session"
HEADERS = {"Cache-Control": "private, no-store", "Pragma": "no-cache", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer"}


@router.get("/billets/{ticket_id}/live-qr.png", include_in_schema=False)
def live_qr(ticket_id: int, request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    with session_scope() as db:
        info = sessions.resolve_session(db, token) if token else None
        if info is None:
            raise HTTPException(status_code=401, detail="Login required.", headers=HEADERS)
        try:
            body = live_ticket.live_png(db, info.user_id, ticket_id)
        except DomainError:
            raise HTTPException(status_code=404, detail="Not found.", headers=HEADERS) from None
    return Response(body, media_type="image/png", headers=HEADERS)
