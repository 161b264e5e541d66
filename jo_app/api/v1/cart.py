"""The caller's cart: read, add, set quantity, remove, clear, hold again (bearer token or session cookie).

Adding packs holds their seats for CART_HOLD_MINUTES (`hold_expires_at` in the JSON); removing or lowering gives
them back. Every change that moves seats pushes the new seats left to the open shop pages (after the response).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from sqlmodel import Session

from jo_app.api.deps import Principal, current_principal, get_db
from jo_app.api.errors import responses
from jo_app.api.v1 import convert
from jo_app.api.v1.schemas import CartItemIn, CartOut, CartQuantityIn, QueuePass
from jo_app.services.orders import cart as cart_service
from jo_app.services.orders import cart_view

router = APIRouter(prefix="/cart", tags=["cart"])
OfferId = Path(ge=1, le=2**31 - 1)


@router.get("", response_model=CartOut, responses=responses(401))
def get_cart(principal: Principal = Depends(current_principal), db: Session = Depends(get_db)) -> CartOut:
    """The priced cart; each line says whether it can be bought as is (`problem`) and until when its seats are
    held (`hold_expires_at`)."""
    return convert.cart(cart_view.get_cart(db, principal.user_id))


@router.post("/items", response_model=CartOut, responses=responses(401, 403, 404, 422))
def add_item(body: CartItemIn, principal: Principal = Depends(current_principal),
             db: Session = Depends(get_db), queue_pass: str | None = QueuePass) -> CartOut:
    """Add packs of an offer (added to those already in the cart) and hold their seats for CART_HOLD_MINUTES.
    Per-event pack limit and seats are checked: `sold_out` / `not_enough_seats` (422) when the seats are not
    there (held seats count as taken); `queue_pass_required` (403) for a session sold through the waiting room
    without a valid `X-Queue-Pass`."""
    view = cart_service.add_item(db, principal.user_id, body.offer_id, body.quantity, queue_pass=queue_pass)
    return convert.cart(view)


@router.put("/items/{offer_id}", response_model=CartOut, responses=responses(401, 403, 404, 422))
def set_quantity(body: CartQuantityIn, offer_id: int = OfferId,
                 principal: Principal = Depends(current_principal), db: Session = Depends(get_db),
                 queue_pass: str | None = QueuePass) -> CartOut:
    """Set the number of packs of an offer (0 removes the line); more packs hold their seats afresh."""
    view = cart_service.set_quantity(db, principal.user_id, offer_id, body.quantity, queue_pass=queue_pass)
    return convert.cart(view)


@router.post("/items/{offer_id}/hold", response_model=CartOut, responses=responses(401, 403, 404, 422))
def hold_again(offer_id: int = OfferId, principal: Principal = Depends(current_principal),
               db: Session = Depends(get_db), queue_pass: str | None = QueuePass) -> CartOut:
    """Hold a line's seats again after its hold expired (a live hold is left as it is): `sold_out` /
    `not_enough_seats` (422) when they are gone, `offer_not_found` (404) when the line is not in the cart."""
    view = cart_service.rehold(db, principal.user_id, offer_id, queue_pass=queue_pass)
    return convert.cart(view)


@router.delete("/items/{offer_id}", response_model=CartOut, responses=responses(401, 403, 422))
def remove_item(offer_id: int = OfferId, principal: Principal = Depends(current_principal),
                db: Session = Depends(get_db)) -> CartOut:
    """Remove an offer from the cart and release its seats (no error when absent)."""
    view = cart_service.remove_item(db, principal.user_id, offer_id)
    return convert.cart(view)


@router.delete("", response_model=CartOut, responses=responses(401, 403))
def clear(principal: Principal = Depends(current_principal),
          db: Session = Depends(get_db)) -> CartOut:
    """Empty the cart and release its seats."""
    cart_service.clear_cart(db, principal.user_id)
    return convert.cart(cart_view.get_cart(db, principal.user_id))
