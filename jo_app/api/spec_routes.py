"""The JSON endpoints at the exact paths of the specification (section 7.1), next to the versioned API.

- GET /offers/api/offers?type=solo|duo|familiale : published offers of future events (public);
- GET /cart/api/count : packs in the caller's cart (session cookie or bearer token);
- GET /admin/api/stats/offers : sales by offer type (admin);
- GET /admin/api/stats/sales : sales per day (admin).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from jo_app.api.deps import Principal, current_principal, get_db, require_admin
from jo_app.api.errors import responses
from jo_app.api.v1 import convert
from jo_app.api.v1.admin import DayStat, OfferTypeStat
from jo_app.api.v1.schemas import CartCount, OfferOut
from jo_app.services import cart, catalog, stats

router = APIRouter(tags=["spec"])


@router.get("/offers/api/offers", response_model=list[OfferOut], responses=responses(422))
def offers(type: Literal["solo", "duo", "familiale", "family", "famille"] | None = Query(default=None),
           db: Session = Depends(get_db)) -> list[OfferOut]:
    """Published offers of published future events, soonest first."""
    return [convert.offer(o) for o in catalog.list_offers(db, type)]


@router.get("/cart/api/count", response_model=CartCount, responses=responses(401))
def cart_count(principal: Principal = Depends(current_principal), db: Session = Depends(get_db)) -> CartCount:
    """Number of packs in the caller's cart."""
    return CartCount(count=cart.cart_count(db, principal.user_id))


@router.get("/admin/api/stats/offers", response_model=list[OfferTypeStat], responses=responses(401, 403))
def stats_offers(_admin: Principal = Depends(require_admin), db: Session = Depends(get_db)) -> list[OfferTypeStat]:
    """Paid sales by offer type: packs, persons, revenue."""
    return [OfferTypeStat(**row) for row in stats.sales_by_offer_type(db)]


@router.get("/admin/api/stats/sales", response_model=list[DayStat], responses=responses(401, 403, 422))
def stats_sales(days: int | None = Query(default=None, ge=1, le=3660), _admin: Principal = Depends(require_admin),
                db: Session = Depends(get_db)) -> list[DayStat]:
    """Paid sales per day (UTC), oldest first, days without sales as zeros."""
    return [DayStat(**row) for row in stats.sales_per_day(db, days)]
