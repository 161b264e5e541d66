"""CSV exports for administrators (the caller checks the role): sales and admissions.

Returned as `str` (UTF-8 text, header row, `\n` line ends: a browser download of a text data URL would turn CRLF
into LF anyway) in one of three layouts (`CsvLayout`):
- `STANDARD` (the API's): comma separated, UTC times, decimal point;
- `SPREADSHEET_FR` (the French dashboard's download): `;` separated, decimal comma, Paris times, and a UTF-8 BOM,
  which is what a French Excel / LibreOffice needs to split the columns and read the accents on a double click;
- `SPREADSHEET_EN`: comma separated, Paris times, with the BOM.
Cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR) are prefixed with a quote:
e-mail addresses and event titles come from users and admins (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from jo_app.models import Event, Order, OrderItem, OrderStatus, Ticket, TicketStatus, User

SALES_HEADER = ("order_reference", "paid_at", "email", "event", "event_starts_at", "offer_type", "quantity",
                "persons", "amount_eur", "status")
ADMISSIONS_HEADER = ("ticket_number", "event", "event_starts_at", "persons", "used_at", "gate", "employee")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UTC, _PARIS = ZoneInfo("UTC"), ZoneInfo("Europe/Paris")
BOM = "\ufeff"


@dataclass(frozen=True)
class CsvLayout:
    separator: str = ","
    decimal_comma: bool = False
    paris_time: bool = False  # times in Paris time (header names end in `_paris`), else UTC
    bom: bool = False


STANDARD = CsvLayout()
SPREADSHEET_FR = CsvLayout(separator=";", decimal_comma=True, paris_time=True, bom=True)
SPREADSHEET_EN = CsvLayout(paris_time=True, bom=True)


class _Amount(str):
    """An amount cell (decimal separator chosen by the layout)."""


def _cell(value: object, layout: CsvLayout) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if layout.paris_time:
            value = value.replace(tzinfo=_UTC).astimezone(_PARIS)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, _Amount):
        return value.replace(".", ",") if layout.decimal_comma else str(value)
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _amount(cents: int) -> _Amount:
    sign = "-" if cents < 0 else ""
    return _Amount(f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}")


def _write(header: tuple[str, ...], rows: Iterable[Iterable[object]], layout: CsvLayout = STANDARD) -> str:
    buffer = io.StringIO()
    if layout.bom:
        buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=layout.separator, lineterminator="\n")
    if layout.paris_time:
        header = tuple(name.replace("_at", "_at_paris") if name.endswith("_at") else name for name in header)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v, layout) for v in row])
    return buffer.getvalue()


def sales_csv(session: Session, *, event_id: int | None = None, include_cancelled: bool = True,
              layout: CsvLayout = STANDARD) -> str:
    """One row per order line of paid (and, by default, cancelled) orders, oldest payment first.

    Columns: order reference, payment time (UTC), e-mail, event title and start (UTC), offer type, quantity
    (packs), persons (quantity x persons per pack), amount in euros (quantity x unit price), order status.
    """
    statuses = [OrderStatus.PAID] + ([OrderStatus.CANCELLED] if include_cancelled else [])
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
    ), layout)


def admissions_csv(session: Session, *, event_id: int | None = None, layout: CsvLayout = STANDARD) -> str:
    """One row per used ticket, in admission order: ticket number, event title and start (UTC), persons admitted,
    admission time (UTC), gate, e-mail of the employee who scanned it."""
    employee = aliased(User)
    query = (
        select(Ticket.number, Event.title, Event.starts_at, Ticket.persons, Ticket.used_at, Ticket.used_gate,
               employee.email)
        .join(Event, Event.id == Ticket.event_id)
        .join(employee, employee.id == Ticket.used_by_id, isouter=True)
        .where(Ticket.status == TicketStatus.USED)
    )
    if event_id is not None:
        query = query.where(Ticket.event_id == event_id)
    return _write(ADMISSIONS_HEADER, session.exec(query.order_by(Ticket.used_at, Ticket.id)), layout)
