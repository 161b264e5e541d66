"""Editing one's own name."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from jo_app.models import AuditLog, User
from jo_app.services.accounts import users
from jo_app.services.errors import NotFoundError, ValidationError


def _user(session: Session) -> User:
    user = users.create_user(session, email="nom@example.org", password="Piste!Verte2024", first_name="Camille",
                             last_name="Durand", verified=True)
    session.commit()
    return user


def test_update_profile_strips_saves_and_audits(session: Session) -> None:
    user = _user(session)
    users.update_profile(session, user.id, first_name="  Léa ", last_name="Martin-Dupont")
    fresh = session.get(User, user.id, populate_existing=True)
    assert (fresh.first_name, fresh.last_name) == ("Léa", "Martin-Dupont")
    actions = session.exec(select(AuditLog.action).where(AuditLog.target_id == str(user.id))).all()
    assert "user.profile_updated" in actions


@pytest.mark.parametrize(("first", "last", "field"), [("", "Martin", "first_name"), ("Léa", "x" * 51, "last_name")])
def test_update_profile_refuses_bad_names(session: Session, first: str, last: str, field: str) -> None:
    user = _user(session)
    with pytest.raises(ValidationError) as caught:
        users.update_profile(session, user.id, first_name=first, last_name=last)
    assert caught.value.field == field
    session.rollback()
    assert session.get(User, user.id, populate_existing=True).first_name == "Camille"


def test_update_profile_of_unknown_user(session: Session) -> None:
    with pytest.raises(NotFoundError):
        users.update_profile(session, 999_999, first_name="A", last_name="B")
