"""The priced cart (read side): rows fresh from the database, each line's problem and its seat hold.

One query gives the lines with their offer, event, seat hold and resale listing holds (services.tickets.resale_holds:
packs held live per line, their first expiry, and whether any listing row points at the cart at all), so the cart
view, a change of a line and the checkout need no separate listing queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, bindparam, func
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import Cart, CartItem, Event, ListingStatus, Offer, ResaleListing, SeatHold
from jo_app.services.tickets import resale
from jo_app.timeutil import utcnow

PROBLEM_MESSAGES = {
    "unavailable": "This offer is no longer on sale.",
    "event_past": "This event has already started.",
    "limit_exceeded": "At most {max} packs per event in one order.",
    "sold_out": "This event is sold out.",
    "not_enough_seats": "Not enough seats left for this event.",
}


def problem_message(code: str) -> str:
    return PROBLEM_MESSAGES[code].format(max=get_settings().max_packs_per_event_per_order)


@dataclass(frozen=True)
class CartLine:
    offer_id: int
    event_id: int
    event_title: str
    event_slug: str
    sport: str
    venue: str
    starts_at: datetime
    offer_title: str
    offer_type: str
    persons: int
    quantity: int
    unit_price_cents: int
    line_total_cents: int
    seats_left: int
    problem: str | None = None  # a PROBLEM_MESSAGES code when this line cannot be bought as is
    hold_expires_at: datetime | None = None  # while this line's seats are held for the buyer
    hold_expired: bool = False  # the seats are no longer reserved (they may still be bought if some remain)

    @property
    def available(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class CartView:
    lines: tuple[CartLine, ...]
    total_cents: int
    count: int  # packs
    persons: int

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def can_checkout(self) -> bool:
        return bool(self.lines) and all(line.available for line in self.lines)

    @property
    def hold_expires_at(self) -> datetime | None:
        """The first expiry among the lines' live holds (the countdown shown to the buyer)."""
        return min((line.hold_expires_at for line in self.lines if line.hold_expires_at), default=None)


class LineRow(NamedTuple):
    """A wanted quantity of one offer, with the offer and event columns that pricing and the rules need."""

    quantity: int
    offer_id: int
    offer_title: str
    offer_type: str
    persons: int
    price_cents: int
    offer_published: bool
    event_id: int
    event_title: str
    event_slug: str
    sport: str
    venue: str
    starts_at: datetime
    capacity: int
    seats_sold: int
    event_published: bool
    seats_held: int = 0  # the event's held seats, all buyers
    onsale_id: int | None = None  # a queued on-sale: buying needs a waiting-room pass
    resale_enabled: bool = False  # the event's official resale is open (listed tickets may be on sale again)
    hold_seats: int | None = None  # this cart line's hold (None: no hold row)
    hold_expires_at: datetime | None = None
    listed_packs: int = 0  # listed resale tickets of this offer the cart holds live (services.tickets.resale_holds)
    listed_until: datetime | None = None  # the first end of those holds
    cart_listings: int = 0  # listing rows pointing at this cart (any offer, status or expiry): 0 = none to release


_OFFER_EVENT_COLUMNS = (
    Offer.id, Offer.title, Offer.offer_type, Offer.persons, Offer.price_cents, Offer.is_published,
    Event.id, Event.title, Event.slug, Event.sport, Event.venue, Event.starts_at, Event.capacity, Event.seats_sold,
    Event.is_published, Event.seats_held, Event.onsale_id, Event.resale_enabled,
)
_DISPLAY_ORDER = (Event.starts_at, Event.id, Offer.persons, Offer.id)
_L = ResaleListing.__table__
_LINE_LISTED = (_L.c.held_cart_id == CartItem.cart_id, _L.c.offer_id == CartItem.offer_id,
                _L.c.status == ListingStatus.LISTED, _L.c.held_until > bindparam("now"))
_CART_ROWS = (
    select(CartItem.quantity, *_OFFER_EVENT_COLUMNS, SeatHold.seats, SeatHold.expires_at,
           select(func.count()).select_from(_L).where(*_LINE_LISTED).scalar_subquery(),
           select(func.min(_L.c.held_until)).where(*_LINE_LISTED).scalar_subquery(),
           select(func.count()).select_from(_L).where(_L.c.held_cart_id == CartItem.cart_id).scalar_subquery())
    .join(Cart, Cart.id == CartItem.cart_id)
    .join(Offer, Offer.id == CartItem.offer_id)
    .join(Event, Event.id == Offer.event_id)
    .outerjoin(SeatHold, and_(SeatHold.cart_id == CartItem.cart_id, SeatHold.offer_id == CartItem.offer_id))
    .where(Cart.user_id == bindparam("user_id"))
    .order_by(*_DISPLAY_ORDER)
)


def cart_rows(session: Session, user_id: int, now: datetime | None = None) -> list[LineRow]:
    """The user's cart lines with their offer, event, seat hold and listing holds live at `now` (plain rows, fresh
    from the database), in display order."""
    params = {"user_id": user_id, "now": now or utcnow()}
    return [LineRow(*row) for row in session.connection().execute(_CART_ROWS, params)]


def listed_holds(rows: list[LineRow]) -> dict[int, tuple[int, datetime]]:
    """The lines held (live) by listings: offer id -> (packs held, first expiry), from the rows."""
    return {row.offer_id: (row.listed_packs, row.listed_until) for row in rows if row.listed_packs}


# Built once (an expanding IN): constructing the expression on every API order cost ~8% of its CPU.
_OFFER_ROWS = (
    select(*_OFFER_EVENT_COLUMNS)
    .join(Event, Event.id == Offer.event_id)
    .where(Offer.id.in_(bindparam("offer_ids", expanding=True)))
    .order_by(*_DISPLAY_ORDER)
)


def offer_rows(session: Session, quantities: dict[int, int]) -> list[LineRow]:
    """Lines for explicit (offer id -> quantity) pairs, in display order; unknown offer ids are left out."""
    result = session.connection().execute(_OFFER_ROWS, {"offer_ids": list(quantities)})
    return [LineRow(quantities[row[0]], *row) for row in result]


def build_view(rows: list[LineRow], *, now: datetime | None = None, check_seats: bool = True,
               resold: dict[int, int] | None = None,
               listed_holds: dict[int, tuple[int, datetime]] | None = None) -> CartView:
    """Price the rows and flag each line's first problem. Seats are checked per event over all its lines: those
    left to anyone (capacity - sold - held) plus those this cart holds, plus `resold` (persons of tickets on
    official resale that no cart holds, per event) plus the listings this cart holds (`listed_holds`: offer id ->
    (packs, hold end), services.tickets.resale_holds). A line is held when its live seat hold and held listings cover
    it."""
    resold, listed_holds = resold or {}, listed_holds or {}
    now = now or utcnow()
    max_packs = get_settings().max_packs_per_event_per_order
    packs: dict[int, int] = defaultdict(int)
    persons: dict[int, int] = defaultdict(int)
    own_held: dict[int, int] = defaultdict(int)
    for row in rows:
        packs[row.event_id] += row.quantity
        persons[row.event_id] += row.quantity * row.persons
        own_held[row.event_id] += (row.hold_seats or 0) + listed_holds.get(row.offer_id, (0, now))[0] * row.persons
    lines = []
    for row in rows:
        left = row.capacity - row.seats_sold - row.seats_held + own_held[row.event_id] + resold.get(row.event_id, 0)
        problem = None
        if not (row.offer_published and row.event_published):
            problem = "unavailable"
        elif row.starts_at <= now:
            problem = "event_past"
        elif packs[row.event_id] > max_packs:
            problem = "limit_exceeded"
        elif check_seats and persons[row.event_id] > left:
            problem = "sold_out" if left < row.persons else "not_enough_seats"
        seats_live = row.hold_expires_at is not None and row.hold_expires_at > now and bool(row.hold_seats)
        listed_packs, listed_until = listed_holds.get(row.offer_id, (0, None))
        covered = (row.hold_seats if seats_live else 0) + listed_packs * row.persons
        held = covered >= row.quantity * row.persons
        ends = [end for end in (row.hold_expires_at if seats_live else None, listed_until if listed_packs else None)
                if end is not None]
        lines.append(CartLine(
            offer_id=row.offer_id, event_id=row.event_id, event_title=row.event_title, event_slug=row.event_slug,
            sport=row.sport, venue=row.venue, starts_at=row.starts_at, offer_title=row.offer_title,
            offer_type=row.offer_type, persons=row.persons, quantity=row.quantity,
            unit_price_cents=row.price_cents, line_total_cents=row.quantity * row.price_cents,
            seats_left=left, problem=problem, hold_expires_at=min(ends) if held and ends else None,
            hold_expired=not held,
        ))
    return CartView(
        lines=tuple(lines), total_cents=sum(line.line_total_cents for line in lines),
        count=sum(line.quantity for line in lines), persons=sum(line.quantity * line.persons for line in lines),
    )


def get_cart(session: Session, user_id: int, *, now: datetime | None = None) -> CartView:
    """The priced cart with a problem flag and hold state per line (read only)."""
    now = now or utcnow()
    rows = cart_rows(session, user_id, now)
    resold = resale.listed_by_event(session, [row.event_id for row in rows if row.resale_enabled], now=now)
    return build_view(rows, now=now, resold=resold, listed_holds=listed_holds(rows))
