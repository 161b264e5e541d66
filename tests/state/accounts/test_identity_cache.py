"""The web UI's identity cache (`services/accounts/identity_cache.py`, issue 12) stays server-side authoritative.

A resolved session is reused for at most `identity_cache_seconds`; a logout, a role change or a lock committed in
this process takes effect at once on the next handler; a change the process cannot see (another process, raw SQL)
takes effect once the entry's time is up. The payment page's on_load shows the identity it resolves itself.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlmodel import Session

from jo_app.models import Role, User, UserSession
from jo_app.services.accounts import identity_cache, sessions, users
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.services.orders import cart as cart_service
from jo_app.services.orders import cart_view
from jo_app.state.admin_common import AdminState
from jo_app.state.orders.cart import CartState
from jo_app.state.orders.checkout import CheckoutState
from jo_app.timeutil import utcnow
from tests.state.conftest import make_state


@pytest.fixture
def db_engine(db_engine):
    identity_cache.clear()
    yield db_engine
    identity_cache.clear()


def _user(engine, email: str, role: Role = Role.VISITOR) -> tuple[int, str]:
    with Session(engine) as db:
        user = users.create_user(db, email=email, password="Piste!Verte2024", first_name="Ada", last_name="B",
                                 role=role, verified=True)
        db.commit()
        return int(user.id), sessions.create_session(db, user.id)


def _offer(engine) -> int:
    with Session(engine) as db:
        event_id = catalog_admin.create_event(db, None, EventInput(
            title="Finale", sport="Judo", venue="Arena", capacity=40,
            starts_at=(utcnow() + timedelta(days=10)).replace(microsecond=0)))
        return catalog_admin.create_offer(db, None, OfferInput(event_id=event_id, title="Solo", offer_type="solo",
                                                               price_cents=1000))


_state = make_state


def _run(cls, name: str, state, *args):
    result = cls.event_handlers[name].fn(state, *args)
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


def _packs(engine, user_id: int) -> int:
    with Session(engine) as db:
        return cart_view.get_cart(db, user_id).count


def _who(state) -> object:
    return asyncio.run(state.current_user())


def test_a_resolution_is_reused_then_a_logout_takes_effect_at_once(db_engine) -> None:
    user_id, token = _user(db_engine, "ada@example.org")
    offer_id = _offer(db_engine)
    state = _state(CartState, f"jo_session={token}", "/billetterie")
    _run(CartState, "add", state, offer_id, 1)
    assert _packs(db_engine, user_id) == 1 and identity_cache.size() == 1
    assert identity_cache.lookup(token).user_id == user_id  # the next events of this tab read no identity row

    with Session(db_engine) as db:  # logout (what /auth/logout does)
        sessions.revoke_session(db, token)
    assert identity_cache.lookup(token) is None
    _run(CartState, "add", state, offer_id, 1)  # refused at once, not 2 s later
    assert _packs(db_engine, user_id) == 1
    assert state.count == 1  # the display copy did not change either


@pytest.mark.parametrize("change", ["demote", "lock", "log_out_everywhere"])
def test_a_role_removal_lock_or_revocation_takes_effect_at_once(db_engine, change: str) -> None:
    admin_id, admin_token = _user(db_engine, "boss@example.org", Role.ADMIN)
    other_id, other_token = _user(db_engine, "other-admin@example.org", Role.ADMIN)
    admin = _state(AdminState, f"jo_session={admin_token}", "/admin")
    assert asyncio.run(admin.require_user(Role.ADMIN)).user_id == admin_id  # cached as an administrator
    assert identity_cache.lookup(admin_token) is not None

    with Session(db_engine) as db:
        if change == "demote":
            users.set_role(db, other_id, admin_id, Role.VISITOR)
        elif change == "lock":
            users.set_locked(db, other_id, admin_id, True)
        else:
            sessions.revoke_all_sessions(db, admin_id)
    assert asyncio.run(admin.require_user(Role.ADMIN)) is None
    other = _state(AdminState, f"jo_session={other_token}", "/admin")
    assert asyncio.run(other.require_user(Role.ADMIN)).user_id == other_id


def test_a_change_made_elsewhere_is_seen_within_the_bound(db_engine, monkeypatch) -> None:
    monkeypatch.setattr(identity_cache, "ttl", lambda: 1.5)  # (the default bound is 2 s)
    user_id, token = _user(db_engine, "ada@example.org")
    state = _state(CartState, f"jo_session={token}", "/panier")
    assert _who(state).user_id == user_id
    with db_engine.begin() as connection:  # another process (or a SQL console): no ORM session of this one
        connection.execute(text("UPDATE user_sessions SET revoked_at = :now WHERE user_id = :uid"),
                           {"now": utcnow(), "uid": user_id})
    assert _who(state) is not None  # this process cannot know yet...
    time.sleep(1.55)
    assert _who(state) is None  # ...and knows once the bound has passed


def test_the_session_touch_keeps_the_cache_and_an_unknown_token_is_never_cached(db_engine) -> None:
    user_id, token = _user(db_engine, "ada@example.org")
    with Session(db_engine) as db:
        assert identity_cache.resolve(db, token).user_id == user_id
    with Session(db_engine) as db:  # the once-a-minute last_seen_at refresh changes no identity
        db.execute(update(UserSession).where(UserSession.user_id == user_id).values(last_seen_at=utcnow()))
        db.commit()
    assert identity_cache.lookup(token) is not None
    with Session(db_engine) as db:  # any other change of a user drops that user's entries
        user = db.get(User, user_id)
        user.first_name = "Grace"
        db.add(user)
        db.commit()
    assert identity_cache.lookup(token) is None
    with Session(db_engine) as db:
        assert identity_cache.resolve(db, token).first_name == "Grace"
        assert identity_cache.resolve(db, "forged-token") is None
    assert identity_cache.size() == 1  # only Ada's fresh entry


def test_a_read_racing_an_invalidation_is_not_kept(db_engine, monkeypatch) -> None:
    user_id, token = _user(db_engine, "ada@example.org")
    real = identity_cache.resolve_session

    def read_then_someone_logs_out(db, presented):
        info = real(db, presented)  # read before the logout commits...
        identity_cache.clear()  # ...the logout commits (what after_commit does)
        return info

    monkeypatch.setattr(identity_cache, "resolve_session", read_then_someone_logs_out)
    with Session(db_engine) as db:
        assert identity_cache.resolve(db, token).user_id == user_id
    assert identity_cache.lookup(token) is None  # the stale read was not stored


def test_the_payment_page_on_load_shows_the_identity_it_resolves(db_engine) -> None:
    user_id, token = _user(db_engine, "ada@example.org")
    offer_id = _offer(db_engine)
    with Session(db_engine) as db:
        cart_service.add_item(db, user_id, offer_id, 1)
    page = _state(CheckoutState, f"jo_session={token}", "/paiement")
    _run(CheckoutState, "load", page)
    assert page.is_authenticated and page.user_first_name == "Ada" and page.user_role == "visitor"
    assert len(page.lines) == 1
    anonymous = _state(CheckoutState, "", "/paiement")
    anonymous.is_authenticated = True  # a stale display copy
    redirect = _run(CheckoutState, "load", anonymous)
    assert not anonymous.is_authenticated and "/connexion" in str(redirect)
