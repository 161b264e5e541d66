"""GDPR rights: data export (portability) and account erasure (anonymization).

A use case across domains (the account, its orders and tickets, its cart's seat and resale holds), so it sits above
the domain packages: `accounts` itself depends on none of them."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import (
    Cart,
    CartItem,
    Consent,
    EmailCode,
    Event,
    LoginAttempt,
    Order,
    OrderItem,
    OrderStatus,
    RecoveryCode,
    Ticket,
    TicketStatus,
    UserSession,
)
from jo_app.services import audit, events, payment
from jo_app.services.accounts.common import load_active_user
from jo_app.services.accounts.passwords import unusable_password_hash, verify_password
from jo_app.services.accounts.sessions import revoke_all_sessions
from jo_app.services.errors import ConflictError, ValidationError
from jo_app.services.orders import holds
from jo_app.services.tickets import resale_holds
from jo_app.timeutil import utcnow

ANONYMIZED_DOMAIN = "anonymized.invalid"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_user_data(session: Session, user_id: int) -> dict[str, Any]:
    """Everything stored about the user, JSON-serializable; never includes hashes, keys, secrets or QR payloads."""
    user = load_active_user(session, user_id)
    orders = session.exec(select(Order).where(Order.user_id == user.id).order_by(Order.created_at, Order.id)).all()
    items_by_order: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if orders:
        for item in session.exec(select(OrderItem).where(OrderItem.order_id.in_([o.id for o in orders]))).all():
            items_by_order[item.order_id].append({
                "offer_title": item.offer_title, "offer_type": item.offer_type, "event_id": item.event_id,
                "persons": item.persons, "quantity": item.quantity, "unit_price_cents": item.unit_price_cents,
            })
    tickets = session.exec(
        select(Ticket, Event).join(Event, Event.id == Ticket.event_id)
        .where(Ticket.user_id == user.id).order_by(Ticket.generated_at, Ticket.id)
    ).all()
    consents = session.exec(select(Consent).where(Consent.user_id == user.id).order_by(Consent.accepted_at)).all()
    logins = session.exec(
        select(LoginAttempt).where(LoginAttempt.email == user.email).order_by(LoginAttempt.created_at)
    ).all()
    sessions = session.exec(
        select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.created_at)
    ).all()
    return {
        "exported_at": _iso(utcnow()),
        "profile": {
            "id": user.id, "username": user.username, "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "role": user.role, "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at), "is_verified": user.is_verified,
            "two_factor_enabled": user.totp_enabled,
        },
        "consents": [
            {"kind": c.kind, "version": c.version, "accepted_at": _iso(c.accepted_at), "client_ip": c.client_ip}
            for c in consents
        ],
        "orders": [
            {
                "reference": o.reference, "status": o.status, "total_cents": o.total_cents, "email": o.email,
                "created_at": _iso(o.created_at), "paid_at": _iso(o.paid_at), "cancelled_at": _iso(o.cancelled_at),
                "card_last4": o.card_last4, "items": items_by_order.get(o.id, []),
            }
            for o in orders
        ],
        "tickets": [
            {
                "number": t.number, "event": e.title, "event_starts_at": _iso(e.starts_at), "venue": e.venue,
                "persons": t.persons, "holder_name": t.holder_name, "status": t.status,
                "generated_at": _iso(t.generated_at), "used_at": _iso(t.used_at), "cancelled_at": _iso(t.cancelled_at),
            }
            for t, e in tickets
        ],
        "login_history": [
            {"at": _iso(a.created_at), "client_ip": a.client_ip, "succeeded": a.succeeded} for a in logins
        ],
        "sessions": [
            {"created_at": _iso(s.created_at), "last_seen_at": _iso(s.last_seen_at), "client_ip": s.client_ip,
             "user_agent": s.user_agent, "revoked_at": _iso(s.revoked_at)}
            for s in sessions
        ],
    }


def _ticket_seats(ticket: Ticket) -> int:
    """Seats one ticket holds in `events.seats_sold` (a pack admits `persons` people)."""
    return ticket.persons


def _cancel_future_tickets(session: Session, tickets: list[Ticket], now: datetime) -> int:
    """Cancel still-valid tickets and give their seats back to their events; returns how many were cancelled."""
    released: dict[int, int] = defaultdict(int)
    cancelled = 0
    for ticket in tickets:
        result = session.execute(
            update(Ticket).where(Ticket.id == ticket.id, Ticket.status == TicketStatus.VALID)
            .values(status=TicketStatus.CANCELLED, cancelled_at=now)
        )
        if result.rowcount == 1:
            cancelled += 1
            released[ticket.event_id] += _ticket_seats(ticket)
    for event_id, seats in released.items():
        session.execute(
            update(Event).where(Event.id == event_id)
            .values(seats_sold=Event.seats_sold - seats, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return cancelled


def _cancel_emptied_orders(session: Session, user_id: int, tickets: list[Ticket], now: datetime) -> list[str]:
    """Cancel and refund the paid orders left without any valid or used ticket by the erasure.

    A paid order always holds at least one sold ticket: the dashboard's "paid orders", "tickets sold" and revenue
    then describe the same sales (before this, an erased buyer's orders stayed paid with all their tickets
    cancelled: 10 paid orders next to 4 tickets sold). Returns the references cancelled.
    """
    order_ids = sorted({t.order_id for t in tickets})
    if not order_ids:
        return []
    still_sold = set(session.exec(select(Ticket.order_id).where(
        Ticket.order_id.in_(order_ids),
        Ticket.status.in_([TicketStatus.VALID, TicketStatus.USED]))).all())
    references = []
    for order in session.exec(select(Order).where(Order.id.in_(order_ids), Order.user_id == user_id,
                                                  Order.status == OrderStatus.PAID)).all():
        if order.id in still_sold:
            continue
        refund_reference = payment.refund(order.payment_reference, order.total_cents) \
            if order.payment_reference and order.total_cents else None
        order.status, order.cancelled_at = OrderStatus.CANCELLED, now
        session.add(order)
        audit.record(session, "order.cancelled", actor_id=user_id, target_type="order", target_id=order.id,
                     reference=order.reference, reason="account deleted", refund_cents=order.total_cents,
                     refund_reference=refund_reference)
        references.append(order.reference)
    return references


def delete_account(session: Session, user_id: int, password: str, *, force: bool = False) -> None:
    """Erase the user's personal data (GDPR) while keeping orders and tickets for accounting. Commits.

    Valid tickets for events not over yet (start + gate closing delay still ahead) block the deletion with
    `has_valid_future_tickets`, unless `force=True`, which cancels them, releases their seats, and cancels and
    refunds the orders left without any ticket (`_cancel_emptied_orders`).
    """
    user = load_active_user(session, user_id)
    if not verify_password(password or "", user.password_hash):
        raise ValidationError("Current password is incorrect.", code="invalid_password", field="password")
    now = utcnow()
    still_usable_after = now - timedelta(hours=get_settings().gate_close_hours_after)
    future = list(session.exec(
        select(Ticket).join(Event, Event.id == Ticket.event_id).where(
            Ticket.user_id == user.id, Ticket.status == TicketStatus.VALID,
            Event.starts_at > still_usable_after,
        )
    ).all())
    if future and not force:
        raise ConflictError(
            "You still hold valid tickets for upcoming events. Delete the account anyway to cancel them.",
            code="has_valid_future_tickets",
        )
    cancelled = _cancel_future_tickets(session, future, now) if future else 0
    if cancelled:
        _cancel_emptied_orders(session, user.id, future, now)
        events.announce(session, events.TicketsCancelled(tuple(sorted({t.event_id for t in future}))))

    old_email = user.email
    anonymized_email = f"deleted-{user.id}@{ANONYMIZED_DOMAIN}"
    user.email = anonymized_email
    user.username = f"deleted-{user.id}"
    user.first_name, user.last_name = "Deleted", "User"
    user.password_hash = unusable_password_hash()
    user.totp_enabled, user.totp_secret_encrypted, user.totp_last_step = False, None, None
    user.is_verified = False
    user.anonymized_at = now
    session.add(user)
    session.execute(update(Order).where(Order.user_id == user.id).values(email=anonymized_email))
    session.execute(update(Ticket).where(Ticket.user_id == user.id).values(holder_name="Deleted User",
                                                                            qr_payload=None))
    session.execute(update(LoginAttempt).where(LoginAttempt.email == old_email).values(email=anonymized_email))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(EmailCode).where(EmailCode.user_id == user.id))
    cart_ids = select(Cart.id).where(Cart.user_id == user.id)
    holds.release_user_holds(session, user.id)  # the held seats go back on sale with the cart
    resale_holds.release_user(session, user.id)  # and the resale tickets it held
    session.execute(delete(CartItem).where(CartItem.cart_id.in_(cart_ids)))
    session.execute(delete(Cart).where(Cart.user_id == user.id))
    revoke_all_sessions(session, user.id, commit=False)
    audit.record(session, "user.deleted", actor_id=user.id, target_type="user", target_id=user.id,
                 forced=force, cancelled_tickets=cancelled)
    session.commit()
