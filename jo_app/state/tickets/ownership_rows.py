"""Ownership columns of the ticket rows on "Mes billets" (holder, change deadline, pending transfer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from jo_app.models import Event
from jo_app.services.orders.history import TicketView
from jo_app.services.tickets import holders, resale, transfers
from jo_app.state.shop_format import labels

_NEVER = datetime(2000, 1, 1)
# Re-requests each live QR image when the 15-second step changes (one request per ticket per step; the code is
# computed on the server, whose clock decides). Checked once a second, locally.
LIVE_QR_JS = (
    "(() => { if (window.__joLiveQr) return; window.__joLiveQr = setInterval(() => {"
    " const step = String(Math.floor(Date.now() / 15000));"
    " document.querySelectorAll('img[src*=\"/live-qr.png\"]').forEach((img) => {"
    " if (!img.dataset.step) { img.dataset.step = step; return; }"
    " if (img.dataset.step !== step) { img.dataset.step = step;"
    " img.setAttribute('src', img.getAttribute('src').split('?')[0] + '?s=' + step); } }); }, 1000); })()"
)


def ticket_extras(session: Session, user_id: int, views: list[TicketView]) -> dict[int, dict[str, Any]]:
    """Per ticket id: whether holder/transfer can change now, the change deadline and any pending transfer."""
    pending = {t.ticket_id: t for t in transfers.list_transfers(session, user_id)
               if t.outgoing and t.status == "pending"}
    listed = {v.ticket_id: v for v in resale.my_listings(session, user_id) if v.status == "listed"}
    event_ids = sorted({v.event_id for v in views})
    flags = {row.id: row for row in session.execute(select(
        Event.id, Event.resale_enabled, Event.static_qr_enabled).where(Event.id.in_(event_ids)))} if event_ids else {}
    extras: dict[int, dict[str, Any]] = {}
    for view in views:
        transfer, listing = pending.get(view.id), listed.get(view.id)
        live, event = view.status == "valid", flags.get(view.event_id)
        extras[view.id] = {
            # a valid ticket shows its live QR (signed payload + time code, refreshed by LIVE_QR_JS)
            **({"qr_url": f"/billets/{view.id}/live-qr.png"} if live else {}), "live_qr": live,
            "static_off": live and event is not None and not event.static_qr_enabled,  # the PDF has no QR then
            "changeable": view.status == "valid" and holders.changes_open(view.event_starts_at),
            "holder_first": view.holder_first_name or "", "holder_last": view.holder_last_name or "",
            "transfer_id": transfer.id if transfer else 0, "transfer_to": transfer.to_email if transfer else "",
            **labels("deadline", moment=holders.change_deadline(view.event_starts_at)),
            **labels("transfer_until", moment=transfer.expires_at if transfer else _NEVER),
            "resale_open": bool(event and event.resale_enabled), "listing_id": listing.id if listing else 0,
            **labels("listing_price", cents=listing.price_cents if listing else 0),
        }
    return extras
