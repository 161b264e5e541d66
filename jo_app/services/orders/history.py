"""Orders and tickets as their owner sees them, plus admin search and cancellation (with refund).

Ownership is part of every visitor query: another user's order or ticket is simply "not found".
Cancellation policy: tickets still valid are cancelled, their seats go back on sale and their price is refunded;
tickets already used stay used (the person is inside), their seats stay sold and they are not refunded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, update
from sqlmodel import Session, select

from jo_app.models import Event, Offer, Order, OrderItem, OrderStatus, Ticket, TicketStatus, User
from jo_app.services import audit, events, jobs, payment
from jo_app.services.errors import ConflictError, NotFoundError, ValidationError
from jo_app.timeutil import utcnow


@dataclass(frozen=True)
class TicketView:
    id: int
    number: str
    order_reference: str
    event_id: int
    event_title: str
    event_venue: str
    event_starts_at: datetime
    sport: str
    offer_type: str
    offer_title: str
    persons: int
    holder_name: str
    status: str
    used_at: datetime | None
    used_gate: str | None
    cancelled_at: datetime | None
    generated_at: datetime
    holder_first_name: str | None = None  # as named by the owner (None: not named yet)
    holder_last_name: str | None = None


@dataclass(frozen=True)
class OrderLine:
    offer_id: int
    event_id: int
    event_title: str
    event_starts_at: datetime
    offer_type: str
    offer_title: str
    persons: int
    quantity: int
    unit_price_cents: int
    line_total_cents: int


@dataclass(frozen=True)
class OrderSummary:
    id: int
    reference: str
    user_id: int
    email: str
    status: str
    total_cents: int
    created_at: datetime
    paid_at: datetime | None
    cancelled_at: datetime | None
    packs: int
    persons: int


@dataclass(frozen=True)
class OrderDetail:
    summary: OrderSummary
    lines: tuple[OrderLine, ...]
    tickets: tuple[TicketView, ...]
    card_last4: str | None
    payment_reference: str | None


def _summaries(session: Session, orders: list[Order]) -> list[OrderSummary]:
    totals: dict[int, tuple[int, int]] = {}
    if orders:
        rows = session.exec(
            select(OrderItem.order_id, func.sum(OrderItem.quantity), func.sum(OrderItem.quantity * OrderItem.persons))
            .where(OrderItem.order_id.in_([o.id for o in orders])).group_by(OrderItem.order_id)
        )
        totals = {order_id: (int(packs), int(persons)) for order_id, packs, persons in rows}
    return [
        OrderSummary(id=o.id, reference=o.reference, user_id=o.user_id, email=o.email, status=o.status,
                     total_cents=o.total_cents, created_at=o.created_at, paid_at=o.paid_at,
                     cancelled_at=o.cancelled_at, packs=totals.get(o.id, (0, 0))[0],
                     persons=totals.get(o.id, (0, 0))[1])
        for o in orders
    ]


def _ticket_query():
    return (
        select(Ticket, Event, Offer, Order.reference)
        .join(Event, Event.id == Ticket.event_id)
        .join(Offer, Offer.id == Ticket.offer_id)
        .join(Order, Order.id == Ticket.order_id)
        .execution_options(populate_existing=True)
    )


def _ticket_view(ticket: Ticket, event: Event, offer: Offer, reference: str) -> TicketView:
    return TicketView(
        id=ticket.id, number=ticket.number, order_reference=reference, event_id=event.id, event_title=event.title,
        event_venue=event.venue, event_starts_at=event.starts_at, sport=event.sport, offer_type=offer.offer_type,
        offer_title=offer.title, persons=ticket.persons, holder_name=ticket.holder_name, status=ticket.status,
        used_at=ticket.used_at, used_gate=ticket.used_gate, cancelled_at=ticket.cancelled_at,
        generated_at=ticket.generated_at, holder_first_name=ticket.holder_first_name,
        holder_last_name=ticket.holder_last_name,
    )


def list_orders(session: Session, user_id: int) -> list[OrderSummary]:
    """The user's orders, newest first."""
    query = select(Order).where(Order.user_id == user_id).order_by(Order.created_at.desc(), Order.id.desc())
    orders = session.exec(query.execution_options(populate_existing=True)).all()
    return _summaries(session, list(orders))


def get_order(session: Session, user_id: int, reference: str) -> OrderDetail:
    """One of the user's orders with lines and tickets; NotFoundError for unknown or someone else's order."""
    order = session.exec(
        select(Order).where(Order.reference == str(reference).strip().upper(), Order.user_id == user_id)
        .execution_options(populate_existing=True)
    ).first()
    if order is None:
        raise NotFoundError("Order not found.", code="order_not_found")
    return _detail(session, order)


def _detail(session: Session, order: Order) -> OrderDetail:
    rows = session.exec(
        select(OrderItem, Event).join(Event, Event.id == OrderItem.event_id)
        .where(OrderItem.order_id == order.id).order_by(Event.starts_at, OrderItem.id)
        .execution_options(populate_existing=True)
    )
    lines = tuple(
        OrderLine(offer_id=i.offer_id, event_id=e.id, event_title=e.title, event_starts_at=e.starts_at,
                  offer_type=i.offer_type, offer_title=i.offer_title, persons=i.persons, quantity=i.quantity,
                  unit_price_cents=i.unit_price_cents, line_total_cents=i.quantity * i.unit_price_cents)
        for i, e in rows
    )
    tickets = tuple(_ticket_view(*row) for row in session.exec(
        _ticket_query().where(Ticket.order_id == order.id).order_by(Ticket.id)))
    return OrderDetail(summary=_summaries(session, [order])[0], lines=lines, tickets=tickets,
                       card_last4=order.card_last4, payment_reference=order.payment_reference)


def get_order_admin(session: Session, reference: str) -> OrderDetail:
    """Any order by reference (admin screens; the caller checks the role)."""
    query = select(Order).where(Order.reference == str(reference).strip().upper())
    order = session.exec(query.execution_options(populate_existing=True)).first()
    if order is None:
        raise NotFoundError("Order not found.", code="order_not_found")
    return _detail(session, order)


def list_tickets(session: Session, user_id: int) -> list[TicketView]:
    """All the user's tickets, by event date."""
    rows = session.exec(_ticket_query().where(Ticket.user_id == user_id).order_by(Event.starts_at, Ticket.id))
    return [_ticket_view(*row) for row in rows]


def get_ticket_for_owner(session: Session, user_id: int, ticket_id: int) -> TicketView:
    """One ticket of the user; NotFoundError for unknown or someone else's ticket."""
    row = session.exec(_ticket_query().where(Ticket.id == ticket_id, Ticket.user_id == user_id)).first()
    if row is None:
        raise NotFoundError("Ticket not found.", code="ticket_not_found")
    return _ticket_view(*row)


def search_orders(session: Session, *, text: str | None = None, event_id: int | None = None,
                  limit: int = 50) -> list[OrderSummary]:
    """Admin search by reference or e-mail fragment and/or event, newest first."""
    query = select(Order)
    if text and text.strip():
        needle = text.strip()
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(or_(Order.reference.like(f"%{escaped.upper()}%", escape="\\"),
                                Order.email.like(f"%{escaped.lower()}%", escape="\\")))
    if event_id is not None:
        query = query.where(exists().where(OrderItem.order_id == Order.id, OrderItem.event_id == event_id))
    limit = max(1, min(int(limit), 500))
    query = query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
    orders = session.exec(query.execution_options(populate_existing=True)).all()
    return _summaries(session, list(orders))


OVERRIDE_REASON_MIN = 5


def cancel_order(session: Session, actor_id: int | None, reference: str, *, reason: str = "",
                 client_ip: str | None = None, override_used: bool = False, mail_customer: bool = False) -> None:
    """Cancel an order (admin; commits). Idempotent: an already cancelled order is left as is. With
    `mail_customer`, the customer's notice is queued (durable job) in the same transaction; `OrderCancelled` is
    announced after the commit.

    An order with a ticket already used at the gate is refused (ConflictError `order_has_used_tickets`): a box
    office does not refund an attended session. `override_used=True` with a reason of at least
    OVERRIDE_REASON_MIN characters (else ValidationError `override_reason_required`) cancels it all the same and
    refunds the used tickets too; they stay used (the entry happened) and keep their seats. Audited
    (`order.cancelled` with `override_used`, plus `order.used_tickets_refunded`).
    Valid tickets become cancelled in one conditional UPDATE (a ticket scanned at the same moment is either
    admitted or cancelled, never both); their seats are released and their price refunded.
    """
    reason = (reason or "").strip()
    if override_used and len(reason) < OVERRIDE_REASON_MIN:
        raise ValidationError("Refunding used tickets needs a reason.", code="override_reason_required",
                              field="reason")
    try:
        order = session.exec(
            select(Order).where(Order.reference == str(reference).strip().upper()).with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if order is None:
            raise NotFoundError("Order not found.", code="order_not_found")
        if order.status == OrderStatus.CANCELLED:
            session.rollback()
            return
        used_rows = session.exec(select(Ticket.offer_id).where(
            Ticket.order_id == order.id, Ticket.status == TicketStatus.USED)).all()
        if used_rows and not override_used:
            raise ConflictError(f"{len(used_rows)} ticket(s) of this order were already used at the gate: "
                                "cancellation refused.", code="order_has_used_tickets")
        now = utcnow()
        cancelled = session.exec(
            update(Ticket)
            .where(Ticket.order_id == order.id, Ticket.status == TicketStatus.VALID)
            .values(status=TicketStatus.CANCELLED, cancelled_at=now)
            .returning(Ticket.event_id, Ticket.offer_id, Ticket.persons)
            .execution_options(synchronize_session=False)
        ).all()
        prices = dict(session.exec(
            select(OrderItem.offer_id, OrderItem.unit_price_cents).where(OrderItem.order_id == order.id)).all())
        released: dict[int, int] = defaultdict(int)
        for event_id, _offer_id, persons in cancelled:
            released[event_id] += persons
        for event_id in sorted(released):  # same order as checkout: no deadlock
            session.exec(update(Event).where(Event.id == event_id)
                         .values(seats_sold=Event.seats_sold - released[event_id])
                         .execution_options(synchronize_session=False))
        # A ticket admitted between the check above and the UPDATE stays used and is not refunded.
        used_refund_cents = sum(prices.get(offer_id, 0) for offer_id in used_rows) if override_used else 0
        refund_cents = sum(prices.get(offer_id, 0) for _e, offer_id, _p in cancelled) + used_refund_cents
        refund_reference = None
        if refund_cents and order.payment_reference:
            refund_reference = payment.refund(order.payment_reference, refund_cents)
        used = session.exec(select(func.count()).select_from(Ticket).where(
            Ticket.order_id == order.id, Ticket.status == TicketStatus.USED)).one()
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = now
        audit.record(session, "order.cancelled", actor_id=actor_id, target_type="order", target_id=order.id,
                     client_ip=client_ip, reference=order.reference, reason=reason[:500],
                     tickets_cancelled=len(cancelled), tickets_used=int(used),
                     seats_released=sum(released.values()), refund_cents=refund_cents,
                     refund_reference=refund_reference, override_used=bool(used_rows) and override_used)
        if used_rows:
            audit.record(session, "order.used_tickets_refunded", actor_id=actor_id, target_type="order",
                         target_id=order.id, client_ip=client_ip, reference=order.reference, reason=reason[:500],
                         tickets_used=len(used_rows), refund_cents=used_refund_cents)
        if mail_customer:
            customer = session.get(User, order.user_id)  # the address of the order, the name of the account
            first_name = customer.first_name if customer is not None and customer.anonymized_at is None else ""
            jobs.enqueue(session, jobs.ORDER_CANCELLED, {"email": order.email, "first_name": first_name,
                                                         "reference": order.reference, "user_id": order.user_id})
        sessions = session.exec(select(OrderItem.event_id).where(OrderItem.order_id == order.id).distinct()).all()
        events.announce(session, events.OrderCancelled(int(order.id), order.reference, tuple(sorted(sessions))))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.expire_all()
