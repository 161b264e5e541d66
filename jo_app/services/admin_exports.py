"""CSV exports for administrators (the caller checks the role): sales and admissions.

Returned as `str` (UTF-8 text, comma separated, header row, `\n` line ends: a browser download of a text
data URL would turn CRLF into LF anyway).
Cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR) are prefixed with a quote:
e-mail addresses and event titles come from users and admins (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from jo_app.models import Event, Order, OrderItem, OrderStatus, Ticket, TicketStatus, User

SALES_HEADER = ("order_reference", "paid_at", "email", "event", "event_starts_at", "offer_type", "quantity",
                "persons", "amount_eur", "status")
ADMISSIONS_HEADER = ("ticket_number", "event", "event_starts_at", "persons", "used_at", "gate", "employee")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _write(header: tuple[str, ...], rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue()


def sales_csv(session: Session, *, event_id: int | None = None, include_cancelled: bool = True) -> str:
    """One row per order line of paid (and, by default, cancelled) orders, oldest payment first.

    Columns: order reference, payment time (UTC), e-mail, event title and start (UTC), offer type, quantity
    (packs), persons (quantity x persons per pack), amount in euros (quantity x unit price), order status.
    """
    statuses = [OrderStatus.PAID.value] + ([OrderStatus.CANCELLED.value] if include_cancelled else [])
    query = (
        select(Order.reference, Order.paid_at, Order.email, Event.title, Event.starts_at, OrderItem.offer_type,
               OrderItem.quantity, OrderItem.persons, OrderItem.unit_price_cents, Order.status)
        .join(Order, Order.id == OrderItem.order_id)
        .join(Event, Event.id == OrderItem.event_id)
        .where(Order.status.in_(statuses))
    )
    if event_id is not None:
        query = query.where(OrderItem.event_id == event_id)
    rows = session.exec(query.order_by(Order.paid_at, Order.id, OrderItem.id))
    return _write(SALES_HEADER, (
        (ref, paid_at, email, title, starts_at, kind, qty, qty * persons, _amount(qty * unit), status)
        for ref, paid_at, email, title, starts_at, kind, qty, persons, unit, status in rows
    ))


def admissions_csv(session: Session, *, event_id: int | None = None) -> str:
    """One row per used ticket, in admission order: ticket number, event title and start (UTC), persons admitted,
    admission time (UTC), gate, e-mail of the employee who scanned it."""
    employee = aliased(User)
    query = (
        select(Ticket.number, Event.title, Event.starts_at, Ticket.persons, Ticket.used_at, Ticket.used_gate,
               employee.email)
        .join(Event, Event.id == Ticket.event_id)
        .join(employee, employee.id == Ticket.used_by_id, isouter=True)
        .where(Ticket.status == TicketStatus.USED.value)
    )
    if event_id is not None:
        query = query.where(Ticket.event_id == event_id)
    return _write(ADMISSIONS_HEADER, session.exec(query.order_by(Ticket.used_at, Ticket.id)))
