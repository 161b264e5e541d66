"""A resale ticket in a cart is held like seats (issue 16, docs/ticket-ownership.md "Resale in the cart").

When fresh seats cannot cover a cart line (sold-out session), the line holds specific listed tickets of its offer
(`resale_listings.held_cart_id`, `held_until` = the line's hold expiry, never later than the resale cut-off):
- nobody else can hold or buy a listing while its hold lives, and its seller cannot withdraw it then (a real box
  office reserves a resale ticket for the buyer who is paying; the seller may withdraw once the hold is over);
- the holder's checkout claims its held listings first (services.tickets.resale.claim_for_order): within the hold it
  never fails for "sold out";
- an expired hold is void at once (every query treats `held_until <= now` as free): anyone may take the listing,
  and its former holder can still buy it if nobody did; the periodic sweep clears expired holds so that the open
  shop pages get the seats left again (`sweep_expired`).
A listing held live is not counted in the shop's seats left (services.tickets.resale.listed_by_event).

Rows are picked with `FOR UPDATE SKIP LOCKED` (buyers never wait on each other) and written by a conditional
UPDATE that re-checks the hold is free, so two carts never hold one listing, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Update, and_, bindparam, case, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.models import Cart, Event, ListingStatus, ResaleListing
from jo_app.timeutil import utcnow

_L = ResaleListing


def held_live(now: datetime) -> ColumnElement[bool]:
    """A listing some cart holds right now."""
    return and_(_L.held_cart_id.is_not(None), _L.held_until > now)


def free_for(cart_id: int | None, now: datetime) -> ColumnElement[bool]:
    """A listing that cart `cart_id` may hold or buy: not held, its hold expired, or held by that cart."""
    condition = or_(_L.held_cart_id.is_(None), _L.held_until <= now)
    return or_(condition, _L.held_cart_id == cart_id) if cart_id is not None else condition


def _cutoff(now: datetime) -> datetime:
    return now + timedelta(hours=get_settings().holder_change_cutoff_hours)


def hold_for_line(session: Session, *, cart_id: int, buyer_id: int, offer_id: int, packs: int,
                  expires_at: datetime, now: datetime) -> int:
    """Hold up to `packs` listed tickets of the offer for the cart line (its own held ones first), release the
    line's other held ones, and return how many packs are held. In the caller's transaction (no commit)."""
    ids: list[int] = []
    if packs > 0:
        ids = list(session.execute(
            select(_L.id).join(Event, Event.id == _L.event_id)
            .where(_L.offer_id == offer_id, _L.status == ListingStatus.LISTED, _L.seller_id != buyer_id,
                   Event.resale_enabled.is_(True), Event.starts_at > _cutoff(now), free_for(cart_id, now))
            .order_by(case((_L.held_cart_id == cart_id, 0), else_=1), _L.id).limit(packs)
            .with_for_update(of=_L, skip_locked=True)).scalars())
    release_line(session, cart_id, offer_id, keep=ids)
    if not ids:
        return 0
    deadline = session.execute(select(func.min(Event.starts_at)).join(_L, _L.event_id == Event.id)
                               .where(_L.offer_id == offer_id)).scalar_one()
    until = min(expires_at, deadline - timedelta(hours=get_settings().holder_change_cutoff_hours))
    return session.execute(
        update(_L).where(_L.id.in_(ids), _L.status == ListingStatus.LISTED, free_for(cart_id, now))
        .values(held_cart_id=cart_id, held_until=until).execution_options(synchronize_session=False)).rowcount


def release_line(session: Session, cart_id: int, offer_id: int, *, keep: list[int] | None = None) -> int:
    """Release the listings held by one cart line (except `keep`); no commit. Returns how many."""
    stmt = update(_L).where(_L.held_cart_id == cart_id, _L.offer_id == offer_id)
    if keep:
        stmt = stmt.where(_L.id.not_in(keep))
    return session.execute(stmt.values(held_cart_id=None, held_until=None)
                           .execution_options(synchronize_session=False)).rowcount


def keep_line(session: Session, cart_id: int, offer_id: int, packs: int) -> int:
    """A line lowered to `packs` held by listings: release the extra ones (highest ids), same expiry. No commit."""
    ids = list(session.execute(select(_L.id).where(_L.held_cart_id == cart_id, _L.offer_id == offer_id)
                               .order_by(_L.id).limit(max(packs, 0))).scalars())
    release_line(session, cart_id, offer_id, keep=ids)
    return len(ids)


_RELEASE_CART = (update(_L).where(_L.held_cart_id == bindparam("cart_id")).values(held_cart_id=None, held_until=None)
                 .execution_options(synchronize_session=False))


def release_cart_write(cart_id: int) -> tuple[Update, dict[str, int]]:
    """`release_cart` as a result-less write for `sql_batch.Later` (checkout: sent with the COMMIT)."""
    return _RELEASE_CART, {"cart_id": cart_id}


def release_cart(session: Session, cart_id: int | None) -> int:
    """Release every listing a cart holds (emptied, paid, logged out); no commit."""
    if cart_id is None:
        return 0
    return session.execute(update(_L).where(_L.held_cart_id == cart_id).values(held_cart_id=None, held_until=None)
                           .execution_options(synchronize_session=False)).rowcount


def release_user(session: Session, user_id: int) -> int:
    """Release the listings held by a user's cart about to be deleted (account erasure); no commit."""
    carts = select(Cart.id).where(Cart.user_id == user_id).scalar_subquery()
    return session.execute(update(_L).where(_L.held_cart_id.in_(carts)).values(held_cart_id=None, held_until=None)
                           .execution_options(synchronize_session=False)).rowcount








def sweep_expired(session: Session, now: datetime | None = None) -> dict[int, int]:
    """Clear the expired listing holds (they are void already; this makes the shop pages get their seats back).
    Commits. Persons put on sale again per event id."""
    now = now or utcnow()
    try:
        rows = session.execute(
            update(_L).where(_L.held_cart_id.is_not(None), _L.held_until <= now)
            .values(held_cart_id=None, held_until=None).returning(_L.event_id, _L.persons, _L.status)
            .execution_options(synchronize_session=False)).all()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    freed: dict[int, int] = {}
    for event_id, persons, status in rows:
        if status == ListingStatus.LISTED:
            freed[event_id] = freed.get(event_id, 0) + persons
    return freed
