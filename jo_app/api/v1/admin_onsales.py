"""Administration of queued on-sales (virtual waiting room): create, watch live, change the rate, pause, resume,
close. Admin role re-read from the database on every request."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field
from sqlmodel import Session

from jo_app.api.deps import Principal, get_db, require_admin
from jo_app.api.errors import ApiError, responses
from jo_app.api.v1.schemas import Input, Int, IsoDatetime, Message
from jo_app.services.orders import onsales, waiting_room

router = APIRouter(prefix="/admin/onsales", tags=["admin"], responses=responses(401, 403, 422))
OnSaleId = Path(ge=1, le=2**31 - 1)


class OnSaleIn(Input):
    name: str = Field(min_length=1, max_length=150)
    opens_at: IsoDatetime = Field(description="ISO 8601; UTC when no offset is given.")
    rate_per_minute: Int = Field(ge=1, le=onsales.MAX_RATE, description="Visitors let in per minute.")
    pass_minutes: Int = Field(default=15, ge=1, le=24 * 60)
    event_ids: list[Int] = Field(default_factory=list, max_length=200)


class RateIn(Input):
    rate_per_minute: Int = Field(ge=1, le=onsales.MAX_RATE)


class OnSaleCreated(BaseModel):
    id: int


class OnSaleFiguresOut(BaseModel):
    onsale_id: int
    opened: bool
    paused: bool
    closed: bool
    rate_per_minute: int
    waiting: int
    admitted: int
    passes_used: int = Field(description="Admitted visitors who took their pass (entered the shop).")
    seats_held: int
    seats_sold: int
    drain_seconds: int = Field(description="Estimated time to let every waiting visitor in at the current rate.")


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise ApiError(422, "invalid_request", "opens_at is out of range.") from None


@router.post("", response_model=OnSaleCreated, status_code=201, responses=responses(404))
def create_onsale(body: OnSaleIn, admin: Principal = Depends(require_admin),
                  db: Session = Depends(get_db)) -> OnSaleCreated:
    """Queue the sale of these events: from now on they are bought only with a pass from this on-sale's queue."""
    return OnSaleCreated(id=onsales.create_onsale(db, admin.user_id, onsales.OnSaleInput(
        name=body.name, opens_at=_naive_utc(body.opens_at), rate_per_minute=body.rate_per_minute,
        pass_minutes=body.pass_minutes, event_ids=tuple(body.event_ids))))


@router.get("/{onsale_id}", response_model=OnSaleFiguresOut, responses=responses(404))
def onsale_figures(onsale_id: int = OnSaleId, _admin: Principal = Depends(require_admin),
                   db: Session = Depends(get_db)) -> OnSaleFiguresOut:
    """Live figures: waiting, admitted, seats held and sold on its events, estimated time to drain the queue."""
    waiting_room.tick_if_stale(db, onsale_id)
    return OnSaleFiguresOut(**asdict(onsales.figures(db, onsale_id)))


@router.put("/{onsale_id}/rate", response_model=Message, responses=responses(404))
def change_rate(body: RateIn, onsale_id: int = OnSaleId, admin: Principal = Depends(require_admin),
                db: Session = Depends(get_db)) -> Message:
    """Change the admission rate live."""
    waiting_room.tick_if_stale(db, onsale_id, seconds=0)  # the time so far is counted at the old rate
    onsales.set_rate(db, admin.user_id, onsale_id, body.rate_per_minute)
    return Message(status="updated")


def _steer(db: Session, actor_id: int, onsale_id: int, action: str) -> Message:
    waiting_room.tick_if_stale(db, onsale_id, seconds=0)  # the time so far is counted as it was
    if action == "close":
        onsales.close(db, actor_id, onsale_id)
        return Message(status="closed")
    onsales.set_paused(db, actor_id, onsale_id, action == "pause")
    return Message(status="paused" if action == "pause" else "resumed")


@router.post("/{onsale_id}/pause", response_model=Message, responses=responses(404))
def pause(onsale_id: int = OnSaleId, admin: Principal = Depends(require_admin),
          db: Session = Depends(get_db)) -> Message:
    """No admissions until resumed (paused time earns none)."""
    return _steer(db, admin.user_id, onsale_id, "pause")


@router.post("/{onsale_id}/resume", response_model=Message, responses=responses(404))
def resume(onsale_id: int = OnSaleId, admin: Principal = Depends(require_admin),
           db: Session = Depends(get_db)) -> Message:
    """Admissions again at the current rate."""
    return _steer(db, admin.user_id, onsale_id, "resume")


@router.post("/{onsale_id}/close", response_model=Message, responses=responses(404))
def close(onsale_id: int = OnSaleId, admin: Principal = Depends(require_admin),
          db: Session = Depends(get_db)) -> Message:
    """End queuing: the events then sell without a pass."""
    return _steer(db, admin.user_id, onsale_id, "close")
