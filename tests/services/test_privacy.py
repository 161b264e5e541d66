"""GDPR: data export and account deletion (anonymization)."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from jo_app.models import (
    Cart,
    CartItem,
    EmailCode,
    Event,
    LoginAttempt,
    Offer,
    Order,
    OrderItem,
    OrderStatus,
    RecoveryCode,
    Ticket,
    TicketStatus,
    User,
)
from jo_app.services import events, privacy
from jo_app.services.accounts import email_codes, login, sessions, twofactor, users
from jo_app.services.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from jo_app.timeutil import utcnow

PASSWORD = "Sprint!Paris2024"
EMAIL = "camille@example.org"


def make_user(session: Session) -> User:
    result = users.register(session, email=EMAIL, password=PASSWORD, first_name="Camille",
                            last_name="Durand", consent=True, client_ip="10.0.0.1")
    return session.get(User, result.user_id)


def make_ticket(session: Session, user: User, *, days: float = 30, persons: int = 2,
                status: TicketStatus = TicketStatus.VALID) -> Ticket:
    """An event (starting in `days`), a duo offer, a paid order and one ticket of that order."""
    suffix = secrets.token_hex(4)
    event = Event(slug=f"athletics-{suffix}", sport="Athletics", title=f"100 m final {suffix}", venue="Stade de France",
                  starts_at=utcnow() + timedelta(days=days), capacity=100, seats_sold=persons)
    session.add(event)
    session.flush()
    offer = Offer(event_id=event.id, title="Duo", offer_type="duo", persons=persons, price_cents=12000)
    session.add(offer)
    session.flush()
    order = Order(user_id=user.id, reference=f"JO-{suffix}", total_cents=12000, status=OrderStatus.PAID.value,
                  paid_at=utcnow(), purchase_key=secrets.token_hex(32), email=user.email, card_last4="4242")
    session.add(order)
    session.flush()
    session.add(OrderItem(order_id=order.id, offer_id=offer.id, event_id=event.id, offer_type="duo",
                          offer_title="Duo", persons=persons, quantity=1, unit_price_cents=12000))
    ticket = Ticket(number=f"T-{suffix}", order_id=order.id, offer_id=offer.id, event_id=event.id, user_id=user.id,
                    persons=persons, holder_name="Camille Durand", user_key=user.security_key,
                    purchase_key=order.purchase_key, ticket_key=secrets.token_hex(32), qr_id=secrets.token_hex(8),
                    qr_payload="SIGNED-PAYLOAD-" + suffix, status=status.value)
    session.add(ticket)
    session.commit()
    return ticket


def test_export_contains_the_data_but_no_secrets(session: Session) -> None:
    user = make_user(session)
    ticket = make_ticket(session, user)
    order = session.get(Order, ticket.order_id)
    login.authenticate(session, email=EMAIL, password=PASSWORD, client_ip="10.0.0.2")
    twofactor.begin_enrollment(session, user.id)
    sessions.create_session(session, user.id, user_agent="Firefox")
    data = privacy.export_user_data(session, user.id)
    dumped = json.dumps(data)  # JSON-serializable as is
    assert data["profile"]["email"] == EMAIL and data["profile"]["first_name"] == "Camille"
    assert data["consents"][0]["version"] == "2024-1"
    assert data["orders"][0]["reference"] == order.reference
    assert data["orders"][0]["items"][0]["offer_title"] == "Duo"
    assert data["tickets"][0]["number"] == ticket.number and data["tickets"][0]["persons"] == 2
    assert [(a["client_ip"], a["succeeded"]) for a in data["login_history"]] == [("10.0.0.2", True)]
    assert data["sessions"][0]["user_agent"] == "Firefox"
    stored = session.get(User, user.id, populate_existing=True)
    for secret in (stored.password_hash, stored.security_key, stored.totp_secret_encrypted, order.purchase_key,
                   ticket.ticket_key, ticket.qr_payload, ticket.qr_id):
        assert secret and secret not in dumped
    assert "password" not in dumped and "security_key" not in dumped


def test_delete_refused_with_valid_future_tickets(session: Session) -> None:
    user = make_user(session)
    ticket = make_ticket(session, user)
    with pytest.raises(ValidationError):
        privacy.delete_account(session, user.id, "Wrong#Pass123")
    with pytest.raises(ConflictError) as info:
        privacy.delete_account(session, user.id, PASSWORD)
    assert info.value.code == "has_valid_future_tickets"
    assert session.get(User, user.id, populate_existing=True).anonymized_at is None
    assert session.get(Ticket, ticket.id, populate_existing=True).status == "valid"


def test_past_used_or_cancelled_tickets_do_not_block(session: Session) -> None:
    user = make_user(session)
    make_ticket(session, user, days=-2)
    make_ticket(session, user, status=TicketStatus.USED)
    make_ticket(session, user, status=TicketStatus.CANCELLED)
    privacy.delete_account(session, user.id, PASSWORD)
    assert session.get(User, user.id, populate_existing=True).anonymized_at is not None


def test_forced_delete_cancels_tickets_releases_seats_and_anonymizes(session: Session) -> None:
    user = make_user(session)
    ticket = make_ticket(session, user, persons=4)
    past = make_ticket(session, user, days=-2)
    token = sessions.create_session(session, user.id)
    enrollment = twofactor.begin_enrollment(session, user.id)
    assert enrollment.secret
    session.add(RecoveryCode(user_id=user.id, code_hash="x" * 64))
    cart = Cart(user_id=user.id)
    session.add(cart)
    session.flush()
    session.add(CartItem(cart_id=cart.id, offer_id=ticket.offer_id, quantity=1))
    session.commit()
    login.authenticate(session, email=EMAIL, password=PASSWORD)

    announced: list = []
    events.subscribe(events.TicketsCancelled, announced.append)
    try:
        privacy.delete_account(session, user.id, PASSWORD, force=True)
        assert events.wait_idle()
    finally:
        with events._lock:
            events._subscribers[events.TicketsCancelled].remove(announced.append)
    # Seats, dashboards and that session's gate counters are pushed: only the cancelled ticket's session.
    assert announced == [events.TicketsCancelled((ticket.event_id,))]

    stored = session.get(User, user.id, populate_existing=True)
    assert stored.email == f"deleted-{user.id}@anonymized.invalid"
    assert stored.username == f"deleted-{user.id}"
    assert (stored.first_name, stored.last_name) == ("Deleted", "User")
    assert stored.anonymized_at is not None and not stored.totp_enabled and stored.totp_secret_encrypted is None
    cancelled = session.get(Ticket, ticket.id, populate_existing=True)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    assert cancelled.holder_name == "Deleted User" and cancelled.qr_payload is None
    assert session.get(Event, ticket.event_id, populate_existing=True).seats_sold == 0  # 4 seats given back
    assert session.get(Event, past.event_id, populate_existing=True).seats_sold == 2  # history untouched
    assert session.get(Ticket, past.id, populate_existing=True).status == "valid"
    orders = session.exec(select(Order).where(Order.user_id == user.id)).all()
    assert len(orders) == 2 and {o.email for o in orders} == {stored.email}
    assert session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []
    assert session.exec(select(EmailCode).where(EmailCode.user_id == user.id)).all() == []
    assert session.exec(select(Cart).where(Cart.user_id == user.id)).all() == []
    assert {a.email for a in session.exec(select(LoginAttempt)).all()} == {stored.email}
    assert sessions.resolve_session(session, token) is None
    with pytest.raises(AuthenticationError) as info:
        login.authenticate(session, email=EMAIL, password=PASSWORD)
    assert info.value.code == "invalid_credentials"
    with pytest.raises(AuthenticationError):
        login.authenticate(session, email=stored.email, password=PASSWORD)
    # The address is free again.
    again = users.register(session, email=EMAIL, password=PASSWORD, first_name="New", last_name="Person",
                           consent=True)
    assert again.user_id != user.id


def test_deleted_account_cannot_be_used_by_privileged_checks(session: Session) -> None:
    user = make_user(session)
    privacy.delete_account(session, user.id, PASSWORD)
    with pytest.raises(PermissionDeniedError):
        users.require_role(session, user.id)
    assert email_codes.request_password_reset(session, f"deleted-{user.id}@anonymized.invalid") is None
    with pytest.raises(NotFoundError):
        privacy.export_user_data(session, user.id)
    with pytest.raises(NotFoundError):
        privacy.delete_account(session, user.id, PASSWORD)
