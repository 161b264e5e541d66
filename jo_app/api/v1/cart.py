"""The caller's cart: read, add, set quantity, remove, clear (bearer token or session cookie)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from sqlmodel import Session

from jo_app.api.deps import Principal, current_principal, get_db
from jo_app.api.errors import responses
from jo_app.api.v1 import convert
from jo_app.api.v1.schemas import CartItemIn, CartOut, CartQuantityIn
from jo_app.services import cart as cart_service

router = APIRouter(prefix="/cart", tags=["cart"])
OfferId = Path(ge=1, le=2**31 - 1)


@router.get("", response_model=CartOut, responses=responses(401))
def get_cart(principal: Principal = Depends(current_principal), db: Session = Depends(get_db)) -> CartOut:
    """The priced cart; each line says whether it can be bought as is (`problem`)."""
    return convert.cart(cart_service.get_cart(db, principal.user_id))


@router.post("/items", response_model=CartOut, responses=responses(401, 403, 404, 422))
def add_item(body: CartItemIn, principal: Principal = Depends(current_principal),
             db: Session = Depends(get_db)) -> CartOut:
    """Add packs of an offer (added to those already in the cart). Per-event pack limit and seats are checked."""
    return convert.cart(cart_service.add_item(db, principal.user_id, body.offer_id, body.quantity))


@router.put("/items/{offer_id}", response_model=CartOut, responses=responses(401, 403, 404, 422))
def set_quantity(body: CartQuantityIn, offer_id: int = OfferId, principal: Principal = Depends(current_principal),
                 db: Session = Depends(get_db)) -> CartOut:
    """Set the number of packs of an offer (0 removes the line)."""
    return convert.cart(cart_service.set_quantity(db, principal.user_id, offer_id, body.quantity))


@router.delete("/items/{offer_id}", response_model=CartOut, responses=responses(401, 403, 422))
def remove_item(offer_id: int = OfferId, principal: Principal = Depends(current_principal),
                db: Session = Depends(get_db)) -> CartOut:
    """Remove an offer from the cart (no error when absent)."""
    return convert.cart(cart_service.remove_item(db, principal.user_id, offer_id))


@router.delete("", response_model=CartOut, responses=responses(401, 403))
def clear(principal: Principal = Depends(current_principal), db: Session = Depends(get_db)) -> CartOut:
    """Empty the cart."""
    cart_service.clear_cart(db, principal.user_id)
    return convert.cart(cart_service.get_cart(db, principal.user_id))
