"""Status and role columns are SQLAlchemy Enum types over the same strings as before (VARCHAR, named CHECKs kept):
rows read back as enum members, the database still holds the plain values, and an unknown value is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError
from sqlmodel import Session, select

from jo_app.models import OfferType, Order, OrderStatus, Role, Ticket, TicketStatus, User
from tests.factories import make_event, make_offer, make_order, make_ticket, make_user


def test_members_in_the_code_plain_strings_in_the_database(session: Session) -> None:
    user = make_user(session, role=Role.EMPLOYEE)
    event = make_event(session)
    offer = make_offer(session, event, offer_type=OfferType.DUO)
    order = make_order(session, user)
    ticket = make_ticket(session, order, offer, user)
    session.commit()
    session.expire_all()
    assert session.get(User, user.id).role is Role.EMPLOYEE
    assert session.get(Order, order.id).status is OrderStatus.PAID
    assert session.exec(select(Ticket.status).where(Ticket.id == ticket.id)).one() is TicketStatus.VALID
    raw = session.connection().execute(text("SELECT role FROM users WHERE id = :id"), {"id": user.id}).scalar_one()
    assert raw == "employee" and type(raw) is str
    assert session.connection().execute(text("SELECT offer_type FROM offers")).scalar_one() == "duo"
    # Comparisons with a member or its string select the same rows.
    assert session.exec(select(User.id).where(User.role == Role.EMPLOYEE)).all() == [user.id]
    assert session.exec(select(User.id).where(User.role == "employee")).all() == [user.id]


def test_an_unknown_value_is_refused_before_the_database(session: Session) -> None:
    user = make_user(session)
    session.commit()
    user.role = "superuser"
    with pytest.raises(StatementError, match="superuser"):
        session.commit()
    session.rollback()
    assert session.get(User, user.id).role is Role.VISITOR
