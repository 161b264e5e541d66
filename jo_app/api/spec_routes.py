"""The JSON endpoints at the exact paths of the specification (section 7.1), with the specification's names.

- GET /offers/api/offers?type=solo|duo|familiale : published offers of future events (public). Items carry the
  fields of the specification's `Offer` model (3.1.2): `id`, `titre`, `description`, `type` (solo / duo /
  familiale), `nombre_personnes`, `prix` (euros), `disponibilite` (seats left), `date_evenement`, `image`,
  `est_publie`, `date_creation`, `date_modification`; plus the event they belong to (`evenement_id`,
  `evenement`, `sport`, `lieu`), `complet` and the exact price in cents (`prix_centimes`);
- GET /cart/api/count : packs in the caller's cart (session cookie or bearer token);
- GET /admin/api/stats/offers : sales by offer type (admin), the type named as in the specification;
- GET /admin/api/stats/sales : sales per day (admin).
The versioned API (/api/v1) keeps its own English names (`offer_type`: solo / duo / family).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlmodel import Session

from jo_app.api.deps import Principal, current_principal, get_db, require_admin
from jo_app.api.errors import responses
from jo_app.api.v1.admin import DayStat
from jo_app.api.v1.schemas import CartCount, UtcDatetime
from jo_app.services import stats
from jo_app.services.catalog import listing as catalog
from jo_app.services.catalog.listing import OfferCard
from jo_app.services.orders import cart

router = APIRouter(tags=["spec"])

SpecType = Literal["solo", "duo", "familiale"]
SPEC_TYPE = {"solo": "solo", "duo": "duo", "family": "familiale"}  # the model's value -> the specification's


class SpecOffer(BaseModel):
    """An offer as the specification's `Offer` model names it, with its event."""

    id: int
    titre: str
    description: str
    type: SpecType
    nombre_personnes: int
    prix: float
    prix_centimes: int
    disponibilite: int
    date_evenement: UtcDatetime
    image: str | None
    est_publie: bool
    date_creation: UtcDatetime | None
    date_modification: UtcDatetime | None
    complet: bool
    evenement_id: int
    evenement: str
    sport: str
    lieu: str


class SpecTypeStat(BaseModel):
    """Paid sales of one offer type (`type` as in the specification)."""

    type: SpecType
    packs: int
    persons: int
    revenue_cents: int


def spec_offer(card: OfferCard) -> SpecOffer:
    return SpecOffer(
        id=card.id, titre=card.title, description=card.description, type=SPEC_TYPE[card.offer_type],
        nombre_personnes=card.persons, prix=round(card.price_cents / 100, 2), prix_centimes=card.price_cents,
        disponibilite=max(0, card.seats_left), date_evenement=card.event_starts_at, image=card.image,
        est_publie=card.is_published, date_creation=card.created_at, date_modification=card.updated_at,
        complet=card.sold_out, evenement_id=card.event_id, evenement=card.event_title,
        sport=card.event_sport, lieu=card.event_venue,
    )


@router.get("/offers/api/offers", response_model=list[SpecOffer], responses=responses(422))
def offers(type: Literal["solo", "duo", "familiale", "family", "famille"] | None = Query(default=None),
           db: Session = Depends(get_db)) -> list[SpecOffer]:
    """Published offers of published future events, soonest first."""
    return [spec_offer(o) for o in catalog.list_offers(db, type)]


@router.get("/cart/api/count", response_model=CartCount, responses=responses(401))
def cart_count(principal: Principal = Depends(current_principal), db: Session = Depends(get_db)) -> CartCount:
    """Number of packs in the caller's cart."""
    return CartCount(count=cart.cart_count(db, principal.user_id))


@router.get("/admin/api/stats/offers", response_model=list[SpecTypeStat], responses=responses(401, 403))
def stats_offers(_admin: Principal = Depends(require_admin), db: Session = Depends(get_db)) -> list[SpecTypeStat]:
    """Paid sales by offer type: packs, persons, revenue."""
    return [SpecTypeStat(type=SPEC_TYPE[row["offer_type"]], packs=row["packs"], persons=row["persons"],
                         revenue_cents=row["revenue_cents"]) for row in stats.sales_by_offer_type(db)]


@router.get("/admin/api/stats/sales", response_model=list[DayStat], responses=responses(401, 403, 422))
def stats_sales(days: int | None = Query(default=None, ge=1, le=3660), _admin: Principal = Depends(require_admin),
                db: Session = Depends(get_db)) -> list[DayStat]:
    """Paid sales per day (UTC), oldest first, days without sales as zeros."""
    return [DayStat(**row) for row in stats.sales_per_day(db, days)]
