"""Shopping cart, one per user, stored in the database. Mutating functions commit (or roll back) themselves.

Rules checked on every change (and again at checkout): the offer and its event are published, the event is in
the future, at most `max_packs_per_event_per_order` packs per event. Adding packs holds their seats for
`cart_hold_minutes` (services.orders.holds): the change is refused when the seats are not there (after releasing the
event's expired holds once). Lowering a quantity or removing a line gives seats back at once.
Same-user changes are serialised by locking the cart row (created race-free with INSERT ... ON CONFLICT).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import Cart, CartItem, Event, Offer
from jo_app.services import sql_batch
from jo_app.services.errors import NotFoundError, ValidationError
from jo_app.services.orders import cart_take, holds, seat_counters, waiting_room
from jo_app.services.orders.cart_view import (
    _OFFER_EVENT_COLUMNS,
    CartView,
    LineRow,
    build_view,
    get_cart,
    problem_message,
)
from jo_app.services.tickets import resale_holds
from jo_app.timeutil import utcnow

Passes = waiting_room.Passes


def cart_count(session: Session, user_id: int) -> int:
    """Number of packs in the cart (spec `GET /cart/api/count`)."""
    total = session.exec(
        select(func.coalesce(func.sum(CartItem.quantity), 0))
        .join(Cart, Cart.id == CartItem.cart_id).where(Cart.user_id == user_id)
    ).one()
    return int(total)


def lock_cart(session: Session, user_id: int, *, create: bool = True) -> int | None:
    """Lock the user's cart row (SELECT ... FOR UPDATE; creating it race-free if asked) and return its id."""
    if create:
        now = utcnow()
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.exec(insert(Cart).values(user_id=user_id, created_at=now, updated_at=now)
                     .on_conflict_do_nothing(index_elements=["user_id"]))
    return session.exec(select(Cart.id).where(Cart.user_id == user_id).with_for_update()).first()


def _quantity(value: object, low: int) -> int:
    high = get_settings().max_packs_per_event_per_order
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"The quantity must be between {low} and {high}.", code="invalid_quantity",
                              field="quantity")
    return value


_OFFER_EVENT = select(*_OFFER_EVENT_COLUMNS).join(Event, Event.id == Offer.event_id).where(
    Offer.id == bindparam("offer_id"))


def _view_after(rows: list[LineRow], offer: LineRow, target: int, seats: int, expiry: datetime | None,
                now: datetime) -> CartView:
    """The cart after a committed `_set_line` without resale listings involved, built from the rows read in its
    transaction (as `get_cart` would read it then): the line at `target` packs holding `seats` until `expiry`, its
    event's held seats moved by the line's change. Saves the add a transaction and a read of the cart."""
    delta = seats - (next((row.hold_seats or 0 for row in rows if row.offer_id == offer.offer_id), 0))
    after = [row._replace(seats_held=row.seats_held + delta) if row.event_id == offer.event_id else row
             for row in rows if row.offer_id != offer.offer_id]
    if target > 0:
        base = next((row for row in rows if row.offer_id == offer.offer_id), offer)
        after.append(base._replace(quantity=target, seats_held=base.seats_held + delta,
                                   hold_seats=seats if seats > 0 else None, hold_expires_at=expiry if seats else None))
    after.sort(key=lambda row: (row.starts_at, row.event_id, row.persons, row.offer_id))
    listed = {row.offer_id: (row.listed_packs, row.listed_until) for row in after if row.listed_packs}
    return build_view(after, now=now, listed_holds=listed)


def _upserts(insert) -> tuple:
    """(cart upsert returning its id, cart line upsert) for one dialect's INSERT ... ON CONFLICT, built once."""
    now = bindparam("now")
    cart = (insert(Cart).values(user_id=bindparam("user_id"), created_at=now, updated_at=now)
            .on_conflict_do_update(index_elements=["user_id"], set_={"updated_at": now}).returning(Cart.id))
    line = (insert(CartItem).values(cart_id=bindparam("cart_id"), offer_id=bindparam("offer_id"),
                                    quantity=bindparam("quantity"), added_at=now)
            .on_conflict_do_update(index_elements=["cart_id", "offer_id"], set_={"quantity": bindparam("quantity")}))
    return cart, line


_UPSERTS = {"postgresql": _upserts(postgresql.insert), "sqlite": _upserts(sqlite.insert)}
_TOUCHED = _UPSERTS["postgresql"][0].cte("touched_cart")
_OFFER_AND_CART = (  # PostgreSQL: the offer's row and the cart upsert (lock) in one statement (a DML CTE)
    select(*_OFFER_EVENT_COLUMNS, _TOUCHED.c.id).select_from(_TOUCHED)
    .join(Offer, Offer.id == bindparam("offer_id")).join(Event, Event.id == Offer.event_id)
)
_DELETE_LINE = delete(CartItem).where(CartItem.cart_id == bindparam("cart_id"),
                                      CartItem.offer_id == bindparam("offer_id"))


def _lock_and_touch_cart(session: Session, user_id: int, now: datetime) -> int:
    """The user's cart id, created if needed, its row locked and `updated_at` set (one statement: an upsert takes
    the row lock like SELECT ... FOR UPDATE)."""
    upsert = _UPSERTS[session.get_bind().dialect.name][0]
    return session.connection().execute(upsert, {"user_id": user_id, "now": now}).scalar_one()


def _offer_and_cart(session: Session, user_id: int, offer_id: object, now: datetime) -> tuple[LineRow, int]:
    """The offer with its event (a LineRow of 0 packs) and the user's cart id, its row locked (see above)."""
    if not isinstance(offer_id, int) or isinstance(offer_id, bool):
        raise NotFoundError("This offer does not exist.", code="offer_not_found")
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        found = connection.execute(_OFFER_AND_CART, {"offer_id": offer_id, "user_id": user_id, "now": now}).first()
        cart_id = found[-1] if found is not None else None
        found = found[:-1] if found is not None else None
    else:
        found = connection.execute(_OFFER_EVENT, {"offer_id": offer_id}).first()
        cart_id = _lock_and_touch_cart(session, user_id, now) if found is not None else None
    if found is None or cart_id is None:
        raise NotFoundError("This offer does not exist.", code="offer_not_found")
    return LineRow(0, *found), cart_id


def _check_addition(rows: list[LineRow], offer_id: int, event_id: int, published: bool, starts_at: datetime,
                    quantity: int, now: datetime) -> None:
    """Refuse when `quantity` packs of the offer (replacing its line) break a rule (seats: see `_set_line`)."""
    if not published:
        raise ValidationError(problem_message("unavailable"), code="unavailable")
    if starts_at <= now:
        raise ValidationError(problem_message("event_past"), code="event_past")
    packs = quantity + sum(row.quantity for row in rows if row.event_id == event_id and row.offer_id != offer_id)
    if packs > get_settings().max_packs_per_event_per_order:
        raise ValidationError(problem_message("limit_exceeded"), code="limit_exceeded", field="quantity")


def _seats_refusal(session: Session, event_id: int, persons: int, own_seats: int) -> ValidationError:
    """Why a hold was refused, read now (the transaction was rolled back)."""
    event = session.exec(select(Event.capacity, Event.seats_sold, Event.seats_held).where(Event.id == event_id)).one()
    left = event.capacity - event.seats_sold - event.seats_held + own_seats
    code = "sold_out" if left < persons else "not_enough_seats"
    return ValidationError(problem_message(code), code=code, field="quantity")


def _write_line(session: Session, later: sql_batch.Later, cart_id: int, offer_id: int, quantity: int,
                now: datetime) -> None:
    params = {"cart_id": cart_id, "offer_id": offer_id}
    if quantity == 0:
        later.add(_DELETE_LINE, params)
    else:
        later.add(_UPSERTS[session.get_bind().dialect.name][1], {**params, "quantity": quantity, "now": now})


def _set_line(session: Session, user_id: int, offer_id: int, quantity: int, *, add: bool,
              rehold: bool = False, queue_pass: Passes = None) -> CartView:
    """Change one line and its hold, then commit with the event's held-seat counter (the hot row) last.

    Round trips on PostgreSQL: BEGIN, offer + cart upsert (lock), cart lines (with their listing holds) and the
    line's hold deleted (one statement, `cart_take`), then hold insert + line upsert + counter + COMMIT in one message
    (`sql_batch`); the returned cart is built from the rows already read (`_view_after`), not read again.
    """
    for attempt in range(2):
        now = utcnow()
        try:
            offer, cart_id = _offer_and_cart(session, user_id, offer_id, now)
            event_id, persons, onsale_id = offer.event_id, offer.persons, offer.onsale_id
            rows, old_seats, old_expiry = cart_take.rows_taking_line_hold(session, user_id, cart_id, offer_id, now)
            line = next((row for row in rows if row.offer_id == offer_id), None)
            current = line.quantity if line is not None else 0
            target = current + quantity if add else quantity
            if rehold and current == 0:
                raise NotFoundError("This pack is not in your cart.", code="offer_not_found")
            old_listed = line.listed_packs if line is not None else 0  # packs held by resale listings
            later = sql_batch.Later()  # result-less writes, sent with the counter and the COMMIT
            wanted = target * persons
            covered = old_seats + old_listed * persons
            live = (old_seats == 0 or (old_expiry is not None and old_expiry > now)) and 0 < covered >= wanted
            growing = target > current or (rehold and target > 0 and not live)
            if growing:  # more packs, or a renewed hold: the rules again, then the whole line held afresh
                _check_addition(rows, offer_id, event_id, offer.offer_published and offer.event_published,
                                offer.starts_at, target, now)
                if onsale_id is not None:  # a queued on-sale: only with this account's waiting-room pass
                    waiting_room.require_passes(session, user_id, [onsale_id], queue_pass, now=now)
                seats, expiry = wanted, holds.hold_expiry(now)
                # Fresh seats first; when they are missing (second attempt), specific listed resale tickets of the
                # offer are held for this cart (services.tickets.resale_holds) and fresh seats only for the rest.
                if attempt == 1 or old_listed:
                    listed = resale_holds.hold_for_line(session, cart_id=cart_id, buyer_id=user_id,
                                                        offer_id=offer_id, packs=target if attempt == 1 else 0,
                                                        expires_at=expiry, now=now)
                    seats = wanted - listed * persons
            else:  # fewer (or as many) packs: never more seats (nor listings) than already held, same expiry
                seats, expiry = min(wanted, old_seats), old_expiry
                if old_listed:
                    resale_holds.keep_line(session, cart_id, offer_id, target - seats // persons)
            if seats > 0:
                later.add(*holds.line_hold_write(cart_id, offer_id, event_id, seats, expiry, now))
            if target != current:
                _write_line(session, later, cart_id, offer_id, target, now)
            if seat_counters.apply_and_commit(session, {event_id: (seats - old_seats, 0)}, later):
                if attempt == 0 and not old_listed and not offer.resale_enabled and not any(
                        row.resale_enabled for row in rows):  # no listing involved: the rows read tell the cart
                    return _view_after(rows, offer, target, seats, expiry, now)
                break
            # Not enough seats (rolled back): release the event's expired holds once, then try again, with listed
            # resale tickets of the offer held for the seats still missing.
            if attempt == 0:
                holds.release_expired(session, [event_id])
                continue
            raise _seats_refusal(session, event_id, persons, old_seats)
        except BaseException:
            session.rollback()
            raise
    return get_cart(session, user_id, now=now)


def add_item(session: Session, user_id: int, offer_id: int, quantity: int = 1, *,
             queue_pass: Passes = None) -> CartView:
    """Add `quantity` packs of an offer (added to any already in the cart) and hold their seats; commits, returns
    the new cart. ValidationError(sold_out / not_enough_seats) when the seats are not there; for a queued
    on-sale, PermissionDeniedError(queue_pass_required) without a valid waiting-room pass (`queue_pass`)."""
    return _set_line(session, user_id, offer_id, _quantity(quantity, 1), add=True, queue_pass=queue_pass)


def set_quantity(session: Session, user_id: int, offer_id: int, quantity: int, *,
                 queue_pass: Passes = None) -> CartView:
    """Set the number of packs of an offer (0 removes the line); commits, returns the new cart. More packs of a
    queued on-sale need a pass, fewer never do."""
    return _set_line(session, user_id, offer_id, _quantity(quantity, 0), add=False, queue_pass=queue_pass)


def rehold(session: Session, user_id: int, offer_id: int, *, queue_pass: Passes = None) -> CartView:
    """Hold a line's seats again after its hold expired ("try again"); a live hold is left as it is. Commits.
    NotFoundError when the offer is not in the user's cart."""
    return _set_line(session, user_id, offer_id, 0, add=True, rehold=True, queue_pass=queue_pass)


def remove_item(session: Session, user_id: int, offer_id: int) -> CartView:
    """Remove an offer from the cart and release its seats (no error if absent); commits, returns the new cart."""
    try:
        cart_id = lock_cart(session, user_id, create=False)
        released = {}
        if cart_id is not None and isinstance(offer_id, int):
            session.exec(delete(CartItem).where(CartItem.cart_id == cart_id, CartItem.offer_id == offer_id))
            seats, _expiry = holds.take_line_hold(session, cart_id, offer_id)
            resale_holds.release_line(session, cart_id, offer_id)
            if seats:
                event_id = session.exec(select(Offer.event_id).where(Offer.id == offer_id)).one()
                released = {event_id: (-seats, 0)}
        seat_counters.apply_and_commit(session, released)
    except BaseException:
        session.rollback()
        raise
    return get_cart(session, user_id)


def clear_cart(session: Session, user_id: int) -> dict[int, int]:
    """Empty the cart and release its holds (commits); returns the seats released per event id."""
    try:
        cart_id = lock_cart(session, user_id, create=False)
        released: dict[int, int] = {}
        if cart_id is not None:
            session.exec(delete(CartItem).where(CartItem.cart_id == cart_id))
            released = holds.take_cart_holds(session, cart_id)
            resale_holds.release_cart(session, cart_id)
        seat_counters.apply_and_commit(session, {e: (-n, 0) for e, n in released.items()})
    except BaseException:
        session.rollback()
        raise
    return released


def release_holds(session: Session, user_id: int) -> dict[int, int]:
    """Give back the seats held by the user's cart, keeping its lines (logout); commits; seats per event id."""
    try:
        cart_id = lock_cart(session, user_id, create=False)
        released = holds.take_cart_holds(session, cart_id) if cart_id is not None else {}
        resale_holds.release_cart(session, cart_id)
        seat_counters.apply_and_commit(session, {e: (-n, 0) for e, n in released.items()})
    except BaseException:
        session.rollback()
        raise
    return released
