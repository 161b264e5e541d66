"""Orders: create (from the cart or from explicit items, `Idempotency-Key` required), list own, detail own."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.background import BackgroundTask

from jo_app.api import live, ratelimit
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
from jo_app.api.v1.schemas import OrderCreate, OrderCreated, OrderDetailOut, OrderSummaryOut
from jo_app.services import checkout, direct_order, mail, orders, payment, ticket_render

log = logging.getLogger(__name__)
Reference = Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$", description="e.g. JO24-7K3M-Q9XD")
router = APIRouter(prefix="/orders", tags=["orders"])


def send_confirmation(engine: Engine, user_id: int, first_name: str, reference: str) -> None:
    """The confirmation e-mail with every ticket PDF (after the response; failures are logged only)."""
    try:
        with Session(engine, expire_on_commit=False) as db:
            detail = orders.get_order(db, user_id, reference)
            lines = [{"event": line.event_title, "offer": line.offer_title, "quantity": line.quantity,
                      "unit_price_cents": line.unit_price_cents, "starts_at": line.event_starts_at}
                     for line in detail.lines]
            pdfs = [(f"billet-{t.number}.pdf", ticket_render.cached_ticket_pdf(db, t.id)) for t in detail.tickets]
            mail.send_order_confirmation(detail.summary.email, first_name, reference, lines,
                                         detail.summary.total_cents, pdfs)
    except Exception:  # the order stands; tickets stay downloadable
        log.exception("confirmation mail for order %s failed", reference)


def _create(engine: Engine, credentials: Credentials, address: str | None, body: OrderCreate,
            idempotency_key: str) -> tuple[Principal, checkout.CheckoutResult]:
    """Identity from the database, rate limit, then the checkout: one worker-thread hop."""
    with Session(engine, expire_on_commit=False) as db:
        principal = authenticate(db, credentials)
        ratelimit.enforce("orders", address, f"user:{principal.user_id}")
        card = payment.PaymentCard(number=body.card.number, exp_month=body.card.exp_month,
                                   exp_year=body.card.exp_year, cvc=body.card.cvc, holder=body.card.holder)
        if body.items:
            result = direct_order.checkout_items(db, principal.user_id,
                                                 [(i.offer_id, i.quantity) for i in body.items], card,
                                                 idempotency_key=idempotency_key, client_ip=address)
        else:
            result = checkout.checkout(db, principal.user_id, card, idempotency_key=idempotency_key,
                                       client_ip=address)
    return principal, result


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
) -> Response:
    """Pay with a card (simulated) and get the order with one ticket per pack.

    Without `items`, the caller's cart is paid (and emptied). With `items`, exactly those packs are bought in
    the same transaction and the cart is left as it was. Seats can never be oversold. Errors: `empty_cart`,
    `unavailable`, `event_past`, `limit_exceeded`, card field errors (422), `card_declined`... (402),
    `sold_out` (409)."""
    engine = who.engine
    principal, result = await run_blocking(_create, engine, who.credentials, client_ip(request), body,
                                           idempotency_key)
    confirmation = None
    if result.created:
        await live.order_placed(result.total_cents, len(result.ticket_ids))
        if body.send_confirmation:  # after the response, in a worker thread
            confirmation = BackgroundTask(send_confirmation, engine, principal.user_id, principal.first_name,
                                          result.reference)
    response = json_response(OrderCreated(order_id=result.order_id, reference=result.reference,
                                          total_cents=result.total_cents, ticket_ids=list(result.ticket_ids),
                                          created=result.created), status_code=201 if result.created else 200)
    response.background = confirmation
    return response


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
