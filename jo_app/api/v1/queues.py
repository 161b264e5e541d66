"""The virtual waiting room of queued on-sales: join, and see your place, wait and pass (bearer token or cookie).

Poll `GET /queues/{onsale_id}` every few seconds while waiting; once `state` is `admitted`, send `pass_token` as
the `X-Queue-Pass` header of the cart and order requests until `pass_expires_at`.
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Path
from sqlmodel import Session

from jo_app.api.deps import Principal, current_principal, get_db
from jo_app.api.errors import responses
from jo_app.api.v1.schemas import QueueStatusOut
from jo_app.services.orders import waiting_room

router = APIRouter(prefix="/queues", tags=["waiting room"])
OnSaleId = Path(ge=1, le=2**31 - 1)


@router.post("/{onsale_id}/join", response_model=QueueStatusOut, responses=responses(401, 404, 422))
def join(onsale_id: int = OnSaleId, principal: Principal = Depends(current_principal),
         db: Session = Depends(get_db)) -> QueueStatusOut:
    """Take a place in the queue (one per account: calling again, from any device, returns the same place)."""
    waiting_room.tick_if_stale(db, onsale_id)
    return QueueStatusOut(**asdict(waiting_room.join(db, principal.user_id, onsale_id)))


@router.get("/{onsale_id}", response_model=QueueStatusOut, responses=responses(401, 404, 422))
def queue_status(onsale_id: int = OnSaleId, principal: Principal = Depends(current_principal),
                 db: Session = Depends(get_db)) -> QueueStatusOut:
    """Your place, the places still ahead, the estimated wait, and your pass once admitted."""
    waiting_room.tick_if_stale(db, onsale_id)
    return QueueStatusOut(**asdict(waiting_room.status(db, principal.user_id, onsale_id)))
