"""Checkout: cart -> paid order + one e-ticket per pack, in ONE database transaction (commits or rolls back itself).

Never oversell: the cart's seat holds are taken over as its lines are read (rows deleted, services.orders.holds),
the order, items and tickets are written; then each event's counters move in one UPDATE (`seats_held -= held`,
`seats_sold += persons`, in event-id order so two checkouts cannot deadlock) whose CHECK (sold + held <= capacity)
refuses any oversale, and the transaction commits (services.orders.seat_counters: on PostgreSQL the UPDATEs and the
COMMIT go in one message, so the hot event row is never locked across a client round trip). Seats held by the cart are
already counted, so paying for them never fails for "sold out", even after the hold expired as long as nobody
released it. A refusal (more seats than held, and none left) first releases the events' expired holds once and
tries again; otherwise it means sold out (or unavailable) and the whole transaction is rolled back.

Exactly once: (user_id, idempotency_key) is unique, so a repeated or concurrent twin submission fails on the order
INSERT (after waiting for the first one's commit), rolls back, and returns the first order (`created=False`).
The cart row is locked (SELECT ... FOR UPDATE) so a user's cart checkouts run one after the other.

Payment is simulated: the card is authorised (`payment.charge`, deterministic per idempotency key) before any write,
so a declined card changes nothing; the transaction's commit stands for the capture (a real payment provider
would capture after the commit and void the authorisation on rollback).

Any failure (invalid card, declined payment, sold out, unpublished offer...) leaves seats, cart and orders as
they were. Nothing slow (PDF, e-mail) runs here: the confirmation mail is a durable job written in the order's
transaction (`services.jobs`, sent by the job worker after the commit), and `OrderPlaced` is announced to the
subscribers (metrics, live pushes) once the transaction commits (`services.events`). The writes are plain
Core statements; those whose result is not read (items, emptied cart, released listings, audit row, outbox job)
travel with the counters and the COMMIT in one message (`services.sql_batch`): five round trips per order on
PostgreSQL (BEGIN, locked cart, cart lines with the cart holds taken (`cart_take`), order with its tickets
(`order_rows`); then counters + COMMIT).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from jo_app.models import Cart, CartItem, Event, Order, OrderItem, OrderStatus, Ticket, TicketStatus, User
from jo_app.services import audit, events, jobs, keys, payment, sql_batch
from jo_app.services.errors import ConflictError, ValidationError
from jo_app.services.orders import cart_take, holds, order_rows, seat_counters, waiting_room
from jo_app.services.orders.cart_view import CartView, LineRow, build_view, get_cart, problem_message
from jo_app.services.tickets import resale, resale_holds
from jo_app.timeutil import utcnow

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: easy to read out on the phone
_ATTEMPTS = 3


@dataclass(frozen=True)
class CheckoutResult:
    order_id: int
    reference: str
    total_cents: int
    ticket_ids: tuple[int, ...]
    created: bool  # False when this idempotency key had already produced the order


def quote(session: Session, user_id: int) -> CartView:
    """What checkout would charge now (the priced cart with its problems)."""
    return get_cart(session, user_id)


def new_reference() -> str:
    """A human-friendly order reference such as `JO24-7K3M-Q9XD` (40 random bits)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"JO24-{chars[:4]}-{chars[4:]}"


def ticket_number(reference: str, unit_index: int) -> str:
    """Ticket number derived from the order reference, e.g. `T7K3MQ9XD-01`."""
    return f"T{reference[5:].replace('-', '')}-{unit_index:02d}"


_O, _OI, _T, _E, _U, _C = (Order.__table__, OrderItem.__table__, Ticket.__table__, Event.__table__,
                            User.__table__, Cart.__table__)
_BUYER_COLUMNS = (_U.c.email, _U.c.first_name, _U.c.last_name, _U.c.security_key)
BUYER = select(*_BUYER_COLUMNS).where(_U.c.id == bindparam("user_id"))
LOCKED_CART = (  # the cart row locked, with its owner's columns (one round trip)
    select(_C.c.id.label("cart_id"), *_BUYER_COLUMNS).join(_U, _U.c.id == _C.c.user_id)
    .where(_C.c.user_id == bindparam("user_id")).with_for_update(of=_C)
)
_INSERT_ITEMS = insert(_OI)
_EMPTY_CART = delete(CartItem.__table__).where(CartItem.__table__.c.cart_id == bindparam("cart_id"))
_ORDER_BY_KEY = select(_O.c.id, _O.c.reference, _O.c.total_cents).where(
    _O.c.user_id == bindparam("user_id"), _O.c.idempotency_key == bindparam("key"))
_TICKET_IDS = select(_T.c.id).where(_T.c.order_id == bindparam("order_id")).order_by(_T.c.id)


def find_existing(session: Session, user_id: int, idempotency_key: str) -> CheckoutResult | None:
    """The order this idempotency key already produced for the user, if any."""
    connection = session.connection()
    order = connection.execute(_ORDER_BY_KEY, {"user_id": user_id, "key": idempotency_key}).first()
    if order is None:
        return None
    ticket_ids = connection.execute(_TICKET_IDS, {"order_id": order.id}).scalars().all()
    return CheckoutResult(order.id, order.reference, order.total_cents, tuple(ticket_ids), created=False)


class _ReleasedExpiredError(Exception):
    """Seats were missing, and releasing expired holds freed some: the attempt is run again."""


@dataclass(frozen=True)
class SeatClaim:
    """Persons to take per event id, seats held by the cart per event id (taken over from its holds), and titles
    for the messages: the hot rows, written just before the commit."""

    persons: dict[int, int]
    titles: dict[int, str]
    held: dict[int, int] = field(default_factory=dict)
    later: sql_batch.Later = field(default_factory=sql_batch.Later)  # result-less writes, sent with the COMMIT


def _explain_refusal(session: Session, claim: SeatClaim) -> None:
    """Raise the reason the seats could not be taken (read now: sold out, unavailable)."""
    connection = session.connection()
    for event_id in sorted(claim.persons):
        wanted, title = claim.persons[event_id], claim.titles[event_id]
        event = connection.execute(select(_E.c.is_published, _E.c.capacity, _E.c.seats_sold, _E.c.seats_held)
                                   .where(_E.c.id == event_id)).first()
        if event is None or not event.is_published:
            raise ValidationError(f"{title}: {problem_message('unavailable')}", code="unavailable")
        left = event.capacity - event.seats_sold - event.seats_held + claim.held.get(event_id, 0)
        if left < wanted:
            raise ConflictError(f"{title}: sold out." if left <= 0
                                else f"{title}: only {left} seat(s) left, {wanted} requested.", code="sold_out")
    raise ConflictError("The seats changed during your payment; please try again.", code="sold_out")


def _take_seats_and_commit(session: Session, claim: SeatClaim, *, may_release: bool) -> None:
    """Turn the held seats into sold ones and take the rest (the hot rows), and commit; when the seats cannot be
    taken, roll back, then release the events' expired holds (`may_release`: raises _ReleasedExpiredError when that
    freed seats) or raise why."""
    events = set(claim.persons) | set(claim.held)
    changes = {e: (-claim.held.get(e, 0), claim.persons.get(e, 0)) for e in events}
    if seat_counters.apply_and_commit(session, changes, claim.later):
        return
    if may_release and holds.release_expired(session, claim.persons):
        raise _ReleasedExpiredError
    _explain_refusal(session, claim)


def place_order(session: Session, user_id: int, buyer: Row, rows: list[LineRow], card: payment.PaymentCard,
                idempotency_key: str, *, client_ip: str | None, now: datetime,
                cart_id: int | None = None, queue_pass: waiting_room.Passes = None,
                confirmation_mail: bool = True,
                taken: dict[int, int] | None = None) -> tuple[CheckoutResult, SeatClaim]:
    """Write the paid order for `rows` (checked here) in the session's transaction, emptying cart `cart_id` if
    given and taking over its seat holds (`taken`: already deleted in this transaction, seats per event id, see
    `cart_take`); the seats to move at commit time come back as a SeatClaim. `buyer` has
    the user's email, names and security_key. The confirmation mail (unless `confirmation_mail` is false; in the
    buyer's stored language) is queued in the same transaction."""
    view = build_view(rows, now=now, check_seats=False)  # seats: taken at commit (`_take_seats_and_commit`)
    for line in view.lines:
        if line.problem:
            raise ValidationError(f"{line.event_title}: {problem_message(line.problem)}", code=line.problem)
    if any(row.onsale_id is not None for row in rows):  # queued on-sale: the account's pass is required
        waiting_room.require_passes(session, user_id, (row.onsale_id for row in rows), queue_pass, now=now)
    payment.validate_card(card, today=now.date())
    charged = payment.charge(card, view.total_cents, idempotency_key=f"{user_id}:{idempotency_key}")

    connection = session.connection()
    reference = new_reference()
    purchase_key = keys.generate_purchase_key()
    order = {"user_id": user_id, "reference": reference, "total_cents": view.total_cents, "status": OrderStatus.PAID,
             "created_at": now, "paid_at": now, "cancelled_at": None, "purchase_key": purchase_key,
             "email": buyer.email, "idempotency_key": idempotency_key, "payment_reference": charged.reference,
             "card_last4": charged.last4}
    resale_events = {row.event_id for row in rows if row.resale_enabled}  # no listing can sell elsewhere...
    held = {row.offer_id for row in rows if row.listed_packs} if cart_id is not None else set()  # ...unless this
    # cart holds one (until its hold ends). Claiming a listed ticket needs the order id first; else the order and its
    # tickets go together (`order_rows`). A twin (same key) fails at the order's INSERT (IntegrityError).
    order_id = connection.execute(order_rows.INSERT_ORDER, order).scalar_one() if resale_events or held else None
    holder = f"{buyer.first_name} {buyer.last_name}".strip()[:110]
    items, tickets = [], []
    resold: list[int] = []  # official resale first: listed tickets of the offer, re-keyed to this order
    persons_by_event: dict[int, int] = defaultdict(int)
    for line in view.lines:
        on_resale = line.event_id in resale_events or line.offer_id in held
        claimed = resale.claim_for_order(session, buyer_id=user_id, order_id=order_id, purchase_key=purchase_key,
                                         offer_id=line.offer_id, quantity=line.quantity, now=now,
                                         cart_id=cart_id) if on_resale else []
        resold += [c.ticket_id for c in claimed]
        fresh = line.quantity - len(claimed)  # only these take seats
        persons_by_event[line.event_id] += fresh * line.persons
        items.append({"order_id": order_id, "offer_id": line.offer_id, "event_id": line.event_id,
                      "offer_type": line.offer_type, "offer_title": line.offer_title, "persons": line.persons,
                      "quantity": line.quantity, "unit_price_cents": line.unit_price_cents})
        for _ in range(fresh):
            index = len(tickets) + 1
            tickets.append({
                "number": ticket_number(reference, index), "order_id": order_id, "offer_id": line.offer_id,
                "event_id": line.event_id, "user_id": user_id, "persons": line.persons, "holder_name": holder,
                "user_key": buyer.security_key, "purchase_key": purchase_key,
                "ticket_key": keys.derive_ticket_key(buyer.security_key, purchase_key, f"{reference}:{index}"),
                "qr_id": secrets.token_hex(8), "qr_payload": None, "status": TicketStatus.VALID,
                "generated_at": now, "used_at": None, "used_by_id": None, "used_gate": None, "cancelled_at": None,
            })
    if order_id is None:
        order_id, fresh_ids = order_rows.write(connection, order, tickets)
        items = [{**item, "order_id": order_id} for item in items]
    else:
        fresh_ids = tuple(connection.execute(order_rows.INSERT_TICKETS, tickets).scalars().all()) if tickets else ()
    ticket_ids = tuple(resold) + fresh_ids
    later = sql_batch.Later()  # sent with the counters and the COMMIT (one message)
    for item in items:
        later.add(_INSERT_ITEMS, item)
    held: dict[int, int] = {}
    if cart_id is not None:
        held = holds.take_cart_holds(session, cart_id) if taken is None else taken
        later.add(_EMPTY_CART, {"cart_id": cart_id})
        if any(row.cart_listings for row in rows):  # held listings not claimed (scanned by their seller meanwhile)
            later.add(*resale_holds.release_cart_write(cart_id))
    later.add(*audit.write_later(session, "order.paid", actor_id=user_id, target_type="order", target_id=order_id,
                            client_ip=client_ip, reference=reference, total_cents=view.total_cents,
                            tickets=len(tickets)))
    if confirmation_mail:  # in the buyer's stored language, read when it is sent
        later.add(*jobs.insert_job(session, jobs.ORDER_CONFIRMATION, {
            "order_id": order_id, "user_id": user_id, "reference": reference, "first_name": buyer.first_name,
            "resale": bool(resold)}))  # the sellers' notices: looked for only when the order bought listed tickets
    events.announce(session, events.OrderPlaced(order_id, reference, user_id, view.total_cents, len(ticket_ids)))
    claim = SeatClaim(dict(persons_by_event), {line.event_id: line.event_title for line in view.lines}, held,
                      later)
    return CheckoutResult(order_id, reference, view.total_cents, ticket_ids, created=True), claim


def _place_cart_order(session: Session, user_id: int, card: payment.PaymentCard, idempotency_key: str,
                      client_ip: str | None, now: datetime, queue_pass: waiting_room.Passes = None,
                      confirmation_mail: bool = True, locked: Row | None = None) -> tuple[CheckoutResult,
                                                                                        SeatClaim | None]:
    if locked is None:  # (`locked`: the row LOCKED_CART gave in this transaction)
        locked = session.connection().execute(LOCKED_CART, {"user_id": user_id}).first()
    rows, taken = (cart_take.rows_taking_cart_holds(session, user_id, locked.cart_id, now) if locked is not None
                   else ([], {}))  # the lines read and the cart's holds taken in one statement
    if not rows:  # a retry after success finds its order here (the first attempt emptied the cart)
        existing = find_existing(session, user_id, idempotency_key)
        if existing is not None:
            return existing, None
        raise ValidationError("Your cart is empty.", code="empty_cart")
    return place_order(session, user_id, locked, rows, card, idempotency_key, client_ip=client_ip, now=now,
                       cart_id=locked.cart_id, queue_pass=queue_pass, confirmation_mail=confirmation_mail,
                       taken=taken)


def run_idempotent(session: Session, user_id: int, idempotency_key: str,
                   attempt: Callable[[], tuple[CheckoutResult, SeatClaim | None]]) -> CheckoutResult:
    """Run `attempt()` (which writes an order without its seats, or finds the existing one), take the seats and
    commit; on a twin's IntegrityError return the first order; roll back on any error. Retries a colliding order
    reference."""
    released = False
    for _ in range(_ATTEMPTS):
        try:
            result, claim = attempt()
            if claim is None:
                session.rollback()
            else:
                _take_seats_and_commit(session, claim, may_release=not released)
            return result
        except _ReleasedExpiredError:
            released = True  # expired holds gave seats back: one more attempt
        except IntegrityError:
            # A twin submission committed first (same key), or an order reference collided: start again.
            session.rollback()
            existing = find_existing(session, user_id, idempotency_key)
            session.rollback()
            if existing is not None:
                return existing
        except BaseException:
            session.rollback()
            raise
    raise ConflictError("The order could not be placed; please retry.")


def checkout(session: Session, user_id: int, card: payment.PaymentCard, *, idempotency_key: str,
             client_ip: str | None = None, queue_pass: waiting_room.Passes = None,
             confirmation_mail: bool = True, locked: Row | None = None) -> CheckoutResult:
    """Pay the user's cart; commits on success, rolls everything back on any error. The confirmation mail goes
    out after the commit, in the buyer's stored language (`confirmation_mail=False`: no mail).

    `idempotency_key` (1-64 chars, one per checkout form) makes retries and double clicks safe: the same key
    returns the same order with `created=False`. Raises ValidationError (empty_cart, unavailable, event_past,
    limit_exceeded, invalid card fields), ConflictError("sold_out"), payment.PaymentDeclinedError, and for a
    queued on-sale without a valid waiting-room pass (`queue_pass`) PermissionDeniedError(queue_pass_required).
    `locked`: the cart row already locked in this transaction by `cart_key.key_and_lock` (one statement less).
    """
    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 64:
        raise ValidationError("Invalid checkout form; please reload the page.", code="invalid_idempotency_key")
    first = [locked]  # for the first attempt only (a retry runs after a rollback and locks again)

    def attempt() -> tuple[CheckoutResult, SeatClaim | None]:
        row, first[0] = first[0], None
        return _place_cart_order(session, user_id, card, idempotency_key, client_ip, utcnow(), queue_pass,
                                 confirmation_mail, row)
    return run_idempotent(session, user_id, idempotency_key, attempt)
