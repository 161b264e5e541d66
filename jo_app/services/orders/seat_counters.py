"""The hot rows: `events.seats_sold` / `events.seats_held` moved and committed in one go.

Every change of an event's seat counters goes through `apply_and_commit`, always as the LAST writes of a
transaction and in event-id order (so two writers cannot deadlock). With psycopg 3 the UPDATEs and the COMMIT
travel in ONE message (simple query protocol), so the hot rows stay locked for the server's own time, never across
a client round trip: passing the capacity violates the CHECK constraints (`seats_sold + seats_held <= capacity`),
which aborts the message before its COMMIT. With other drivers (SQLite, psycopg2): conditional UPDATEs and their
row counts, then COMMIT. A committed change announces `SeatsChanged` (live seats left on the shop pages).
The transaction's result-less writes (`sql_batch.Later`: order items, audit and outbox rows, cart line, hold row)
travel in the same message, before the UPDATEs; only a CHECK violation on `events` means "no seats".
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import bindparam, or_, update
from sqlmodel import Session

from jo_app.models import Event
from jo_app.services import events, sql_batch

_E = Event.__table__
_CHECK_VIOLATION = "23514"
# Integers only (formatted here). Sold seats on an unpublished event are forced over the capacity (refused).
_SQL_SELL = ("UPDATE events SET seats_held = seats_held + {held}, seats_sold = seats_sold + CASE WHEN is_published "
             "THEN {sold} ELSE capacity + 1 END WHERE id = {event_id};")
_SQL_HOLD = ("UPDATE events SET seats_held = seats_held + {held}, seats_sold = seats_sold + {sold} "
             "WHERE id = {event_id};")
_CONDITIONAL = (
    update(_E)
    .where(_E.c.id == bindparam("event_id"),
           _E.c.seats_sold + _E.c.seats_held + bindparam("held") + bindparam("sold") <= _E.c.capacity,
           or_(_E.c.is_published.is_(True), bindparam("sold") <= 0))
    .values(seats_held=_E.c.seats_held + bindparam("held"), seats_sold=_E.c.seats_sold + bindparam("sold"))
)


def apply_and_commit(session: Session, changes: Mapping[int, tuple[int, int]],
                     later: sql_batch.Later | None = None) -> bool:
    """Run the `later` writes, add (held, sold) deltas to each event id's counters and commit the session's
    transaction.

    Returns False, with everything rolled back, when a change would pass an event's capacity or sell seats of an
    unpublished event (releasing seats is always accepted). Other errors propagate (the caller rolls back).
    """
    session.flush()  # pending ORM changes go first, inside the transaction that the COMMIT below ends
    connection = session.connection()
    ordered = sorted((int(e), int(h), int(s)) for e, (h, s) in changes.items() if h or s)
    if not ordered and not later:
        session.commit()
        return True
    if ordered:
        events.announce(session, events.SeatsChanged())  # delivered only if the COMMIT below goes through
    if connection.dialect.driver == "psycopg":
        script = (sql_batch.script(connection, later) if later else "") + "".join(
            (_SQL_SELL if sold > 0 else _SQL_HOLD).format(held=held, sold=sold, event_id=event_id)
            for event_id, held, sold in ordered) + "COMMIT"
        try:
            connection.connection.dbapi_connection.execute(script)
        except Exception as exc:
            diag = getattr(exc, "diag", None)
            if getattr(exc, "sqlstate", None) != _CHECK_VIOLATION or getattr(diag, "table_name", None) != "events":
                raise
            session.rollback()
            return False
        session.commit()  # committed on the server already: this only ends the Session's transaction
        return True
    if later:
        sql_batch.execute(connection, later)
    for event_id, held, sold in ordered:
        if connection.execute(_CONDITIONAL, {"event_id": event_id, "held": held, "sold": sold}).rowcount != 1:
            session.rollback()
            return False
    session.commit()
    return True
