"""Official resale at face value.

- `list_ticket`: the owner offers a VALID ticket of a session whose resale is open (admin switch), before the
  cut-off, with no pending transfer (both take the ticket row lock, so a ticket is never listed and offered for
  transfer at once). Price = what the seller paid for the pack; the organiser keeps `resale_fee_bps` of it.
- `withdraw`: the seller takes it back while it is listed.
- `claim_for_order`: called by checkout for each line BEFORE fresh seats are taken: it claims listed tickets of
  that offer with `SELECT ... FOR UPDATE SKIP LOCKED` (concurrent buyers never wait on each other and never get
  the same listing), re-keys each to the buyer's new order (`ticket_rekey`: the seller's QR dies at once, the old
  qr_id answers TRANSFERRED at the gate), refunds the seller (simulated) minus the fee and marks it sold, all in
  the checkout transaction (a failed checkout rolls everything back). A listed ticket scanned meanwhile by its
  seller loses the conditional re-key: that listing is closed and a fresh seat is taken instead.
- `listed_persons`: persons on sale again per event (added to the seats left where the shop checks them).

Seat counters (services.orders.holds): a listed ticket stays counted in `events.seats_sold` (it is valid for its seller
until sold) and never takes a seat hold. A cart line that fresh seats cannot cover holds specific listings instead
(services.tickets.resale_holds: reserved for that cart until the hold ends, the seller cannot withdraw them meanwhile);
at checkout the claimed tickets take no seat, the cart's held seats turn into sold ones for the fresh tickets only and
the rest go back to the pool, all in one CHECKed counter update: exact counters, no oversale, one sale per listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.models import (
    Event,
    ListingStatus,
    Order,
    OrderItem,
    ResaleListing,
    RevocationReason,
    Ticket,
    TicketTransfer,
    TransferStatus,
    User,
)
from jo_app.services import audit, events, payment
from jo_app.services.errors import ConflictError, NotFoundError, ValidationError
from jo_app.services.tickets import resale_holds
from jo_app.services.tickets.holders import check_changeable, owned_ticket
from jo_app.services.tickets.owned_close import close_owned
from jo_app.services.tickets.rekey import rekey
from jo_app.timeutil import utcnow


@dataclass(frozen=True)
class ListingView:
    id: int
    ticket_id: int
    event_id: int
    offer_id: int
    persons: int
    price_cents: int
    fee_cents: int
    status: str
    created_at: datetime


@dataclass(frozen=True)
class Claimed:
    listing_id: int
    ticket_id: int
    seller_id: int
    persons: int


def _view(listing: ResaleListing) -> ListingView:
    return ListingView(id=listing.id, ticket_id=listing.ticket_id, event_id=listing.event_id,
                       offer_id=listing.offer_id, persons=listing.persons, price_cents=listing.price_cents,
                       fee_cents=listing.fee_cents, status=listing.status, created_at=listing.created_at)


def face_value(session: Session, ticket: Ticket) -> int:
    """What the ticket's pack cost in its current order."""
    price = session.execute(select(OrderItem.unit_price_cents).where(
        OrderItem.order_id == ticket.order_id, OrderItem.offer_id == ticket.offer_id).limit(1)).scalar_one_or_none()
    if price is None:
        raise ConflictError("This ticket cannot be resold.", code="resale_unavailable")
    return int(price)


def list_ticket(session: Session, user_id: int, ticket_id: int, *, now: datetime | None = None,
                client_ip: str | None = None) -> ListingView:
    """Put one of the user's tickets on resale. Commits. Errors: ticket_not_found, ticket_not_valid,
    cutoff_passed, resale_closed, transfer_pending, already_listed."""
    now = now or utcnow()
    try:
        ticket, event = owned_ticket(session, user_id, ticket_id, lock=True)
        check_changeable(ticket, event, now)
        if not event.resale_enabled:
            raise ConflictError("Resale is not open for this session.", code="resale_closed")
        pending = session.execute(select(TicketTransfer.id).where(
            TicketTransfer.ticket_id == ticket_id, TicketTransfer.status == TransferStatus.PENDING,
            TicketTransfer.expires_at > now)).first()
        if pending is not None:
            raise ConflictError("A transfer of this ticket is pending: cancel it first.", code="transfer_pending")
        price = face_value(session, ticket)
        listing = ResaleListing(ticket_id=ticket_id, seller_id=user_id, event_id=event.id, offer_id=ticket.offer_id,
                                persons=ticket.persons, price_cents=price,
                                fee_cents=price * event.resale_fee_bps // 10_000, created_at=now)
        session.add(listing)
        try:
            session.flush()
        except IntegrityError:
            raise ConflictError("This ticket is already on resale.", code="already_listed") from None
        audit.record(session, "resale.listed", actor_id=user_id, target_type="ticket", target_id=ticket_id,
                     client_ip=client_ip, listing_id=listing.id, price_cents=price)
        events.announce(session, events.ResaleChanged())  # seats on sale again; the dashboard's resale figures
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return _view(listing)


def withdraw(session: Session, user_id: int, listing_id: int, *, now: datetime | None = None,
             client_ip: str | None = None) -> None:
    """The seller takes back a listed ticket. Commits. NotFoundError (not theirs) / ConflictError listing_closed,
    listing_held (a buyer's cart holds it: services.tickets.resale_holds)."""
    now = now or utcnow()
    close_owned(session, ResaleListing, listing_id, user_id, owner=ResaleListing.seller_id,
                open_status=ListingStatus.LISTED, extra=(resale_holds.free_for(None, now),),
                values={"status": ListingStatus.WITHDRAWN, "decided_at": now, "held_cart_id": None,
                        "held_until": None},
                not_found=NotFoundError("Listing not found.", code="listing_not_found"),
                closed=ConflictError("This listing is already closed (sold or withdrawn).", code="listing_closed"),
                still_open=ConflictError("A buyer has this ticket in their cart: you can withdraw it if the hold "
                                         "ends without a sale.", code="listing_held"),
                action="resale.withdrawn", target_type="listing", client_ip=client_ip,
                announce=events.ResaleChanged())  # listed tickets are seats on sale


def is_listed(session: Session, ticket_id: int) -> bool:
    return session.execute(select(ResaleListing.id).where(
        ResaleListing.ticket_id == ticket_id, ResaleListing.status == ListingStatus.LISTED)).first() is not None


def my_listings(session: Session, user_id: int) -> list[ListingView]:
    rows = session.execute(select(ResaleListing).where(ResaleListing.seller_id == user_id)
                           .order_by(ResaleListing.created_at.desc(), ResaleListing.id.desc()).limit(200)
                           .execution_options(populate_existing=True)).scalars()
    return [_view(r) for r in rows]


def listed_by_event(session: Session, event_ids: list[int], *, now: datetime | None = None) -> dict[int, int]:
    """Persons of listed tickets that checkout can sell now and no cart holds (seats on sale again), per event id.
    Callers pass only events whose resale is enabled (the Event rows they hold say so): no query otherwise."""
    if not event_ids:
        return {}
    cutoff = (now or utcnow()) + timedelta(hours=get_settings().holder_change_cutoff_hours)
    rows = session.execute(
        select(ResaleListing.event_id, func.sum(ResaleListing.persons))
        .join(Event, Event.id == ResaleListing.event_id)
        .where(ResaleListing.event_id.in_(sorted(set(event_ids))), ResaleListing.status == ListingStatus.LISTED,
               Event.resale_enabled.is_(True), Event.starts_at > cutoff, resale_holds.free_for(None, now or utcnow()))
        .group_by(ResaleListing.event_id)).all()
    return {int(event_id): int(persons) for event_id, persons in rows}


def listed_persons(session: Session, event_id: int, *, now: datetime | None = None) -> int:
    """Persons of the event's listed tickets that checkout can sell now (seats on sale again)."""
    return listed_by_event(session, [event_id], now=now).get(event_id, 0)


def set_event_resale(session: Session, actor_id: int, event_id: int, *, enabled: bool, fee_bps: int,
                     client_ip: str | None = None) -> None:
    """Open or close resale for a session and set the organiser's fee (0-5000 basis points). Admin; commits."""
    if not isinstance(fee_bps, int) or not 0 <= fee_bps <= 5000:
        raise ValidationError("The fee must be 0 to 5000 basis points (0-50 %).", field="fee_bps")
    event = session.get(Event, event_id) if isinstance(event_id, int) and 0 < event_id < 2**31 else None
    if event is None:
        raise NotFoundError("Event not found.", code="event_not_found")
    event.resale_enabled, event.resale_fee_bps, event.updated_at = bool(enabled), fee_bps, utcnow()
    session.add(event)
    audit.record(session, "event.resale_set", actor_id=actor_id, target_type="event", target_id=event_id,
                 client_ip=client_ip, enabled=bool(enabled), fee_bps=fee_bps)
    events.announce(session, events.SeatsChanged())  # listed tickets are seats on sale
    session.commit()


def figures(session: Session) -> dict[str, int]:
    """Dashboard figures: tickets listed now, sold, withdrawn; face value resold; fees kept."""
    rows = dict(session.execute(select(ResaleListing.status, func.count()).group_by(ResaleListing.status)).all())
    sold = session.execute(select(func.coalesce(func.sum(ResaleListing.price_cents), 0),
                                  func.coalesce(func.sum(ResaleListing.fee_cents), 0))
                           .where(ResaleListing.status == ListingStatus.SOLD)).one()
    return {"listed": int(rows.get("listed", 0)), "sold": int(rows.get("sold", 0)),
            "withdrawn": int(rows.get("withdrawn", 0)), "resold_cents": int(sold[0]), "fees_cents": int(sold[1])}


def claim_for_order(session: Session, *, buyer_id: int, order_id: int, purchase_key: str, offer_id: int,
                    quantity: int, now: datetime, cart_id: int | None = None) -> list[Claimed]:
    """Inside the checkout transaction: give the buyer up to `quantity` listed tickets of `offer_id`, those its cart
    `cart_id` holds first (honoured until their hold ends, even if resale was closed meanwhile), then free ones
    (see the module docstring). Returns what was claimed; the caller takes fresh seats for the rest."""
    if quantity <= 0:
        return []
    cutoff = now + timedelta(hours=get_settings().holder_change_cutoff_hours)
    mine = (ResaleListing.held_cart_id == cart_id) & (ResaleListing.held_until > now) if cart_id is not None \
        else ResaleListing.id.is_(None)
    candidates = session.execute(
        select(ResaleListing.id, ResaleListing.ticket_id, ResaleListing.seller_id, ResaleListing.persons,
               ResaleListing.price_cents, ResaleListing.fee_cents)
        .join(Event, Event.id == ResaleListing.event_id)
        .where(ResaleListing.offer_id == offer_id, ResaleListing.status == ListingStatus.LISTED,
               ResaleListing.seller_id != buyer_id,
               or_(mine, resale_holds.free_for(cart_id, now) & Event.resale_enabled.is_(True)
                   & (Event.starts_at > cutoff)))
        .order_by(case((mine, 0), else_=1), ResaleListing.id).limit(quantity)
        .with_for_update(of=ResaleListing, skip_locked=True)).all()
    if not candidates:
        return []
    buyer = session.get(User, buyer_id)
    assert buyer is not None
    claimed: list[Claimed] = []
    for listing_id, ticket_id, seller_id, persons, price, fee in candidates:
        ticket = session.execute(select(Ticket).where(Ticket.id == ticket_id).with_for_update()
                                 .execution_options(populate_existing=True)).scalars().one()
        seller_order_id = ticket.order_id
        try:  # writes nothing when it refuses
            rekey(session, ticket, buyer, expected_owner_id=seller_id, reason=RevocationReason.RESOLD,
                  holder_first=buyer.first_name, holder_last=buyer.last_name, now=now, order_id=order_id,
                  purchase_key=purchase_key)
        except ConflictError:  # scanned or cancelled meanwhile: this listing can never sell
            session.execute(update(ResaleListing).where(ResaleListing.id == listing_id)
                            .values(status=ListingStatus.WITHDRAWN, decided_at=now, held_cart_id=None,
                                    held_until=None))
            continue
        seller_payment = session.execute(select(Order.payment_reference).where(
            Order.id == seller_order_id)).scalar_one_or_none()
        refund = payment.refund(seller_payment, price - fee) if seller_payment and price > fee else None
        session.execute(update(ResaleListing).where(ResaleListing.id == listing_id).values(
            status=ListingStatus.SOLD, decided_at=now, buyer_id=buyer_id, order_id=order_id,
            refund_reference=refund, held_cart_id=None, held_until=None))
        audit.write(session, "resale.sold", actor_id=buyer_id, target_type="ticket", target_id=ticket_id,
                    listing_id=listing_id, seller_id=seller_id, order_id=order_id, price_cents=price, fee_cents=fee,
                    refund_reference=refund)
        claimed.append(Claimed(listing_id=listing_id, ticket_id=ticket_id, seller_id=seller_id, persons=persons))
    return claimed
