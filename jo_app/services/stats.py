"""Sales statistics for the admin dashboard (spec `/admin/api/stats/...`). Read only, portable SQL.

Sales figures count paid orders only: a cancelled order is refunded and disappears from revenue and packs.
"Tickets sold" are the valid or used tickets of paid orders, so paid orders, tickets sold and revenue describe the
same sales (an order cancelled after some of its tickets were used no longer counts them as sold; the admissions
still do). A forced account erasure cancels and refunds the orders it leaves without tickets
(`privacy._cancel_emptied_orders`), so a paid order always holds at least one sold ticket.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, select

from jo_app.models import Event, OfferType, Order, OrderItem, OrderStatus, Ticket, TicketStatus
from jo_app.timeutil import utcnow

_PAID = Order.status == OrderStatus.PAID


def _ticket_sums() -> list:
    """SUM columns: tickets sold (valid + used, of a paid order), persons sold, tickets used, persons admitted.

    The query must join Order on `Ticket.order_id`."""
    used = Ticket.status == TicketStatus.USED
    sold = Ticket.status.in_([TicketStatus.VALID, TicketStatus.USED]) & _PAID
    return [func.coalesce(func.sum(case((cond, value), else_=0)), 0)
            for cond, value in ((sold, 1), (sold, Ticket.persons), (used, 1), (used, Ticket.persons))]


def sales_by_offer_type(session: Session) -> list[dict]:
    """[{offer_type, packs, persons, revenue_cents}] for solo, duo and family (zeros included)."""
    rows = session.exec(
        select(OrderItem.offer_type, func.sum(OrderItem.quantity), func.sum(OrderItem.quantity * OrderItem.persons),
               func.sum(OrderItem.quantity * OrderItem.unit_price_cents))
        .join(Order, Order.id == OrderItem.order_id).where(_PAID).group_by(OrderItem.offer_type)
    )
    found = {kind: (int(p), int(n), int(r)) for kind, p, n, r in rows}
    return [
        {"offer_type": kind.value, "packs": found.get(kind.value, (0, 0, 0))[0],
         "persons": found.get(kind.value, (0, 0, 0))[1], "revenue_cents": found.get(kind.value, (0, 0, 0))[2]}
        for kind in OfferType
    ]


def sales_per_day(session: Session, days: int | None = None) -> list[dict]:
    """[{day 'YYYY-MM-DD', orders, packs, revenue_cents}] by payment day (UTC), oldest first, gaps as zeros.

    With `days`, exactly the last `days` days up to today; otherwise from the first to the last sale.
    Grouped in Python after one narrow query, so the SQL is the same on SQLite and PostgreSQL.
    """
    packs = (select(func.sum(OrderItem.quantity)).where(OrderItem.order_id == Order.id)
             .correlate(Order).scalar_subquery())
    query = select(Order.paid_at, Order.total_cents, packs).where(_PAID, Order.paid_at.is_not(None))
    today = utcnow().date()
    start: date | None = None
    if days is not None:
        days = max(1, int(days))
        start = today - timedelta(days=days - 1)
        query = query.where(Order.paid_at >= start)
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for paid_at, total, n in session.exec(query):
        bucket = per_day[paid_at.date()]
        bucket[0] += 1
        bucket[1] += int(n or 0)
        bucket[2] += int(total)
    if start is None:
        if not per_day:
            return []
        start, end = min(per_day), max(per_day)
    else:
        end = today
    out = []
    day = start
    while day <= end:
        orders, n, revenue = per_day.get(day, (0, 0, 0))
        out.append({"day": day.isoformat(), "orders": orders, "packs": n, "revenue_cents": revenue})
        day += timedelta(days=1)
    return out


def revenue_cents(session: Session) -> int:
    """Total of paid orders."""
    return int(session.exec(select(func.coalesce(func.sum(Order.total_cents), 0)).where(_PAID)).one())


def seats_left_per_event(session: Session) -> list[dict]:
    """[{event_id, title, starts_at, capacity, seats_sold, seats_held, seats_left, is_published}] by date."""
    rows = session.exec(select(Event).order_by(Event.starts_at, Event.id).execution_options(populate_existing=True))
    return [{"event_id": e.id, "title": e.title, "starts_at": e.starts_at, "capacity": e.capacity,
             "seats_sold": e.seats_sold, "seats_held": e.seats_held, "seats_left": e.seats_left,
             "is_published": e.is_published}
            for e in rows]


def admissions_per_event(session: Session) -> list[dict]:
    """[{event_id, title, starts_at, seats_sold, tickets_sold, persons_sold, tickets_used, persons_admitted}].

    Tickets sold = valid + used (cancelled ones are not sold any more).
    """
    rows = session.exec(select(Ticket.event_id, *_ticket_sums()).join(Order, Order.id == Ticket.order_id)
                        .group_by(Ticket.event_id))
    counts = {event_id: tuple(int(v or 0) for v in values) for event_id, *values in rows}
    out = []
    for e in session.exec(select(Event).order_by(Event.starts_at, Event.id).execution_options(populate_existing=True)):
        t_sold, p_sold, t_used, p_used = counts.get(e.id, (0, 0, 0, 0))
        out.append({"event_id": e.id, "title": e.title, "starts_at": e.starts_at, "seats_sold": e.seats_sold,
                    "tickets_sold": t_sold, "persons_sold": p_sold, "tickets_used": t_used,
                    "persons_admitted": p_used})
    return out


def kpis(session: Session) -> dict:
    """Headline figures: revenue, paid orders, tickets and persons sold, seats left (future published events),
    tickets used and persons admitted."""
    orders = int(session.exec(select(func.count()).select_from(Order).where(_PAID)).one())
    t_sold, p_sold, t_used, p_used = session.exec(
        select(*_ticket_sums()).select_from(Ticket).join(Order, Order.id == Ticket.order_id)).one()
    seats_left = session.exec(
        select(func.coalesce(func.sum(Event.capacity - Event.seats_sold - Event.seats_held), 0))
        .where(Event.is_published, Event.starts_at > utcnow())
    ).one()
    return {
        "revenue_cents": revenue_cents(session), "orders": orders, "tickets_sold": int(t_sold),
        "persons_sold": int(p_sold), "seats_left": int(seats_left), "tickets_used": int(t_used),
        "persons_admitted": int(p_used),
    }
