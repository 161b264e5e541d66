"""Orders: create (from the cart or from explicit items, `Idempotency-Key` required), list own, detail own."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jo_app.api import ratelimit
from jo_app.api.deps import (
    CALLER_SECURITY,
    Caller,
    Credentials,
    Principal,
    authenticate,
    caller,
    client_ip,
    current_principal,
    get_db,
)
from jo_app.api.errors import responses
from jo_app.api.offload import json_response, run_blocking
from jo_app.api.v1 import convert
from jo_app.api.v1.schemas import OrderCreate, OrderCreated, OrderDetailOut, OrderSummaryOut, QueuePass
from jo_app.services import payment
from jo_app.services.orders import checkout, direct_order
from jo_app.services.orders import history as orders

log = logging.getLogger(__name__)
Reference = Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$", description="e.g. JO24-7K3M-Q9XD")
router = APIRouter(prefix="/orders", tags=["orders"])


def _create(engine: Engine, credentials: Credentials, address: str | None, body: OrderCreate,
            idempotency_key: str, queue_pass: str | None = None) -> checkout.CheckoutResult:
    """Identity from the database, rate limit, then the checkout: one worker-thread hop. The service queues the
    confirmation mail (a durable job) in the order's transaction unless the body says not to."""
    with Session(engine, expire_on_commit=False) as db:
        principal = authenticate(db, credentials)
        ratelimit.enforce("orders", address, f"user:{principal.user_id}")
        card = payment.PaymentCard(number=body.card.number, exp_month=body.card.exp_month,
                                   exp_year=body.card.exp_year, cvc=body.card.cvc, holder=body.card.holder)
        if body.items:
            result = direct_order.checkout_items(db, principal.user_id,
                                                 [(i.offer_id, i.quantity) for i in body.items], card,
                                                 idempotency_key=idempotency_key, client_ip=address,
                                                 queue_pass=queue_pass, confirmation_mail=body.send_confirmation)
        else:
            result = checkout.checkout(db, principal.user_id, card, idempotency_key=idempotency_key,
                                       client_ip=address, queue_pass=queue_pass,
                                       confirmation_mail=body.send_confirmation)
    return result


@router.post("", response_model=OrderCreated, status_code=201,
             responses={200: {"model": OrderCreated, "description": "Replay of an earlier request with this key"},
                        **responses(401, 402, 403, 404, 409, 422, 429)}, openapi_extra=CALLER_SECURITY)
async def create_order(
    body: OrderCreate,
    request: Request,
    idempotency_key: str = Header(alias="Idempotency-Key", min_length=1, max_length=64, pattern=r"^[!-~]+$",
                                  description="One per purchase attempt; a retry with the same key returns "
                                              "the same order and never charges twice."),
    who: Caller = Depends(caller),
    queue_pass: str | None = QueuePass,
) -> Response:
    """Pay with a card (simulated) and get the order with one ticket per pack.

    Without `items`, the caller's cart is paid (and emptied). With `items`, exactly those packs are bought in
    the same transaction and the cart is left as it was. Seats can never be oversold. Errors: `empty_cart`,
    `unavailable`, `event_past`, `limit_exceeded`, card field errors (422), `card_declined`... (402),
    `sold_out` (409), `queue_pass_required` (403: a session sold through the waiting room, without a valid
    `X-Queue-Pass`)."""
    result = await run_blocking(_create, who.engine, who.credentials, client_ip(request), body, idempotency_key,
                                queue_pass)
    return json_response(OrderCreated(order_id=result.order_id, reference=result.reference,
                                      total_cents=result.total_cents, ticket_ids=list(result.ticket_ids),
                                      created=result.created), status_code=201 if result.created else 200)


@router.get("", response_model=list[OrderSummaryOut], responses=responses(401))
def list_orders(principal: Principal = Depends(current_principal),
                db: Session = Depends(get_db)) -> list[OrderSummaryOut]:
    """The caller's orders, newest first."""
    return [convert.order_summary(o) for o in orders.list_orders(db, principal.user_id)]


@router.get("/{reference}", response_model=OrderDetailOut, responses=responses(401, 404, 422))
def get_order(reference: str = Reference, principal: Principal = Depends(current_principal),
              db: Session = Depends(get_db)) -> OrderDetailOut:
    """One of the caller's orders, by reference; another user's order is 404."""
    return convert.order_detail(orders.get_order(db, principal.user_id, reference))
