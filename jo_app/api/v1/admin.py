"""Administration (admin role, re-read from the database on every request): statistics, CSV exports, events and
offers CRUD, order search and cancellation."""

from __future__ import annotations

from datetime import UTC
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from jo_app.api.deps import Principal, client_ip, get_db, require_admin
from jo_app.api.errors import ApiError, responses
from jo_app.api.v1 import convert
from jo_app.api.v1.schemas import (
    NAME_PATTERN as NOT_BLANK,
)
from jo_app.api.v1.schemas import (
    EventOut,
    Id,
    Input,
    Int,
    IsoDatetime,
    Message,
    OrderDetailOut,
    OrderSummaryOut,
    SafeStr,
    UtcDatetime,
)
from jo_app.services import admin_exports, stats
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog import listing as catalog
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.services.orders import history as orders

Reference = Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$", description="e.g. JO24-7K3M-Q9XD")
router = APIRouter(prefix="/admin", tags=["admin"], responses=responses(401, 403, 422))
EventId = Path(ge=1, le=2**31 - 1)
OfferId = Path(ge=1, le=2**31 - 1)


class OfferTypeStat(BaseModel):
    offer_type: str
    packs: int
    persons: int
    revenue_cents: int


class DayStat(BaseModel):
    day: str
    orders: int
    packs: int
    revenue_cents: int


class EventStat(BaseModel):
    event_id: int
    title: str
    starts_at: UtcDatetime
    seats_sold: int
    tickets_sold: int
    persons_sold: int
    tickets_used: int
    persons_admitted: int


class Kpis(BaseModel):
    revenue_cents: int
    orders: int
    tickets_sold: int
    persons_sold: int
    seats_left: int
    tickets_used: int
    persons_admitted: int


class StatsOut(BaseModel):
    kpis: Kpis
    by_offer_type: list[OfferTypeStat]
    sales_per_day: list[DayStat]
    events: list[EventStat]


class EventIn(Input):
    title: str = Field(min_length=1, max_length=150, pattern=NOT_BLANK)
    sport: str = Field(min_length=1, max_length=60, pattern=NOT_BLANK)
    venue: str = Field(min_length=1, max_length=120, pattern=NOT_BLANK)
    starts_at: IsoDatetime = Field(description="ISO 8601; UTC when no offset is given.")
    capacity: Int = Field(ge=0, le=200_000)
    description: str = Field(default="", max_length=5000)
    city: str = Field(default="Paris", min_length=1, max_length=60, pattern=NOT_BLANK)
    image: str | None = Field(default=None, max_length=255)
    is_published: bool = True


class OfferIn(Input):
    event_id: Id
    title: str = Field(min_length=1, max_length=100, pattern=NOT_BLANK)
    offer_type: Literal["solo", "duo", "family"]
    price_cents: Int = Field(ge=0, le=10_000_00)
    description: str = Field(default="", max_length=5000)
    image: str | None = Field(default=None, max_length=255)
    is_published: bool = True


class Created(BaseModel):
    id: int


class PublishIn(Input):
    published: bool


class CancelIn(Input):
    reason: str = Field(default="", max_length=500)
    override_used: bool = Field(default=False, description="Cancel and refund even if tickets were already used at "
                                "the gate (otherwise 409 `order_has_used_tickets`); needs a reason of 5+ characters.")


@router.get("/stats", response_model=StatsOut)
def get_stats(days: int | None = Query(default=None, ge=1, le=3660), _admin: Principal = Depends(require_admin),
              db: Session = Depends(get_db)) -> StatsOut:
    """Headline figures, sales by pack type, sales per day (last `days` days, or all) and admissions per event."""
    return StatsOut(kpis=Kpis(**stats.kpis(db)), by_offer_type=stats.sales_by_offer_type(db),
                    sales_per_day=stats.sales_per_day(db, days), events=stats.admissions_per_event(db))


def _csv(body: str, name: str) -> Response:
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "CSV (UTF-8, comma separated)"}}


@router.get("/exports/sales.csv", response_class=Response, responses=CSV_RESPONSE)
def export_sales(event_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
                 _admin: Principal = Depends(require_admin), db: Session = Depends(get_db)) -> Response:
    """One row per order line (paid and cancelled orders)."""
    return _csv(admin_exports.sales_csv(db, event_id=event_id), "sales.csv")


@router.get("/exports/admissions.csv", response_class=Response, responses=CSV_RESPONSE)
def export_admissions(event_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
                      _admin: Principal = Depends(require_admin), db: Session = Depends(get_db)) -> Response:
    """One row per admitted ticket."""
    return _csv(admin_exports.admissions_csv(db, event_id=event_id), "admissions.csv")


@router.get("/events", response_model=list[EventOut])
def list_events(_admin: Principal = Depends(require_admin), db: Session = Depends(get_db)) -> list[EventOut]:
    """Every event, published or not, past or future, with all its offers."""
    return [convert.event(c) for c in catalog.list_events(db, include_unpublished=True)]


def _event_input(body: EventIn) -> EventInput:
    values = body.model_dump()
    starts_at = values["starts_at"]
    if starts_at.tzinfo is not None:
        try:
            values["starts_at"] = starts_at.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            raise ApiError(422, "invalid_request", "starts_at is out of range.") from None
    return EventInput(**values)


@router.post("/events", response_model=Created, status_code=201, responses=responses(409, 422))
def create_event(body: EventIn, admin: Principal = Depends(require_admin), db: Session = Depends(get_db)) -> Created:
    return Created(id=catalog_admin.create_event(db, admin.user_id, _event_input(body)))


@router.put("/events/{event_id}", response_model=Message, responses=responses(404, 409, 422))
def update_event(body: EventIn, event_id: int = EventId, admin: Principal = Depends(require_admin),
                 db: Session = Depends(get_db)) -> Message:
    catalog_admin.update_event(db, admin.user_id, event_id, _event_input(body))
    return Message(status="updated")


@router.post("/events/{event_id}/publish", response_model=Message, responses=responses(404, 422))
def publish_event(body: PublishIn, event_id: int = EventId, admin: Principal = Depends(require_admin),
                  db: Session = Depends(get_db)) -> Message:
    catalog_admin.set_event_published(db, admin.user_id, event_id, body.published)
    return Message(status="published" if body.published else "unpublished")


@router.delete("/events/{event_id}", response_model=Message, responses=responses(404, 409, 422))
def delete_event(event_id: int = EventId, admin: Principal = Depends(require_admin),
                 db: Session = Depends(get_db)) -> Message:
    """Delete an event that has no orders (otherwise unpublish it)."""
    catalog_admin.delete_event(db, admin.user_id, event_id)
    return Message(status="deleted")


@router.post("/offers", response_model=Created, status_code=201, responses=responses(404, 409, 422))
def create_offer(body: OfferIn, admin: Principal = Depends(require_admin), db: Session = Depends(get_db)) -> Created:
    return Created(id=catalog_admin.create_offer(db, admin.user_id, OfferInput(**body.model_dump())))


@router.put("/offers/{offer_id}", response_model=Message, responses=responses(404, 409, 422))
def update_offer(body: OfferIn, offer_id: int = OfferId, admin: Principal = Depends(require_admin),
                 db: Session = Depends(get_db)) -> Message:
    catalog_admin.update_offer(db, admin.user_id, offer_id, OfferInput(**body.model_dump()))
    return Message(status="updated")


@router.post("/offers/{offer_id}/publish", response_model=Message, responses=responses(404, 422))
def publish_offer(body: PublishIn, offer_id: int = OfferId, admin: Principal = Depends(require_admin),
                  db: Session = Depends(get_db)) -> Message:
    catalog_admin.set_offer_published(db, admin.user_id, offer_id, body.published)
    return Message(status="published" if body.published else "unpublished")


@router.delete("/offers/{offer_id}", response_model=Message, responses=responses(404, 409, 422))
def delete_offer(offer_id: int = OfferId, admin: Principal = Depends(require_admin),
                 db: Session = Depends(get_db)) -> Message:
    catalog_admin.delete_offer(db, admin.user_id, offer_id)
    return Message(status="deleted")


@router.get("/orders", response_model=list[OrderSummaryOut], responses=responses(422))
def search_orders(q: SafeStr | None = Query(default=None, max_length=100),
                  event_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
                  limit: int = Query(default=50, ge=1, le=500),
                  _admin: Principal = Depends(require_admin), db: Session = Depends(get_db)) -> list[OrderSummaryOut]:
    """Orders by reference or e-mail fragment and/or event, newest first."""
    return [convert.order_summary(o) for o in orders.search_orders(db, text=q, event_id=event_id, limit=limit)]


@router.get("/orders/{reference}", response_model=OrderDetailOut, responses=responses(404, 422))
def get_order(reference: str = Reference, _admin: Principal = Depends(require_admin),
              db: Session = Depends(get_db)) -> OrderDetailOut:
    return convert.order_detail(orders.get_order_admin(db, reference))


@router.post("/orders/{reference}/cancel", response_model=Message, responses=responses(404, 409, 422))
def cancel_order(body: CancelIn, reference: str = Reference,
                 admin: Principal = Depends(require_admin), db: Session = Depends(get_db),
                 ip: str | None = Depends(client_ip)) -> Message:
    """Cancel an order: valid tickets are cancelled (seats released, refunded). An order with used tickets is
    refused (409) unless `override_used` with a reason: then the used tickets are refunded too (audited)."""
    orders.cancel_order(db, admin.user_id, reference, reason=body.reason, client_ip=ip,
                        override_used=body.override_used)
    return Message(status="cancelled")
