"""HTTP routes serving a ticket's PDF, QR image and calendar file to its owner (session cookie).

- GET /billets/{ticket_id}/ticket.pdf, /billets/{ticket_id}/qr.png, /billets/{ticket_id}/event.ics
- Authorised by the HttpOnly `jo_session` cookie, re-resolved in the database on every request. Anonymous: 401
  (or a redirect to the login page for a browser navigation). Someone else's ticket or an unknown id: 404 (the
  same answer, so ticket ids cannot be probed). A rendered ticket is a bearer credential: `private, no-store`.
- The PDF and the .ics are in the site language the visitor chose (`jo_lang` cookie; French by default).
- Plain `def` routes: FastAPI runs them in its threadpool (database work, PDF rendering).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from jo_app.db import session_scope
from jo_app.i18n import LANG_COOKIE, normalize_lang
from jo_app.services.accounts import sessions
from jo_app.services.errors import NotFoundError
from jo_app.services.orders import history as orders
from jo_app.services.tickets import render as ticket_render

router = APIRouter()

SESSION_COOKIE = "jo_session"
_HEADERS = {
    "Cache-Control": "private, no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _serve(request: Request, ticket_id: int, kind: str) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    with session_scope() as db:
        info = sessions.resolve_session(db, token) if token else None
        if info is None:
            if "text/html" in request.headers.get("accept", ""):
                target = quote(request.url.path, safe="/")
                return RedirectResponse(f"/connexion?next={target}", status_code=303, headers=_HEADERS)
            raise HTTPException(status_code=401, detail="Login required.", headers=_HEADERS)
        if not 0 < ticket_id < 2**31:
            raise HTTPException(status_code=404, detail="Not found.", headers=_HEADERS)
        try:
            ticket = orders.get_ticket_for_owner(db, info.user_id, ticket_id)
        except NotFoundError:
            raise HTTPException(status_code=404, detail="Not found.", headers=_HEADERS) from None
        lang = normalize_lang(request.cookies.get(LANG_COOKIE))  # the site language the visitor chose
        if kind == "pdf":
            body = ticket_render.cached_ticket_pdf(db, ticket.id, lang)
            disposition = f'attachment; filename="billet-{ticket.number}.pdf"'
            return Response(body, media_type="application/pdf",
                            headers={**_HEADERS, "Content-Disposition": disposition})
        if kind == "png":
            return Response(ticket_render.cached_ticket_png(db, ticket.id), media_type="image/png", headers=_HEADERS)
        document = ticket_render.load_ticket_document(db, ticket.id)
        disposition = f'attachment; filename="billet-{ticket.number}.ics"'
        return Response(ticket_render.ticket_ics(document, lang), media_type="text/calendar; charset=utf-8",
                        headers={**_HEADERS, "Content-Disposition": disposition})


@router.get("/billets/{ticket_id}/ticket.pdf", include_in_schema=False)
def ticket_pdf(ticket_id: int, request: Request) -> Response:
    return _serve(request, ticket_id, "pdf")


@router.get("/billets/{ticket_id}/qr.png", include_in_schema=False)
def ticket_qr(ticket_id: int, request: Request) -> Response:
    return _serve(request, ticket_id, "png")


@router.get("/billets/{ticket_id}/event.ics", include_in_schema=False)
def ticket_ics(ticket_id: int, request: Request) -> Response:
    return _serve(request, ticket_id, "ics")
