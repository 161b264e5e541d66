"""The confirmation mail's reads (`order_documents`): the same documents as the per-ticket read, payloads signed in one
batch and stored, a payload stored meanwhile by another process kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text, update
from sqlmodel import Session

from jo_app.models import OrderItem, Ticket
from jo_app.services.errors import NotFoundError
from jo_app.services.tickets import order_documents, signing
from jo_app.services.tickets.document import load_ticket_document
from jo_app.services.tickets.tokens import verify
from tests.factories import make_event, make_offer, make_order, make_ticket, make_user


def _order(session: Session):
    user = make_user(session, first_name="Zoë", last_name="Łukasiewicz")
    event = make_event(session, title="Athlétisme — Finale")
    duo, family = make_offer(session, event, offer_type="duo"), make_offer(session, event, offer_type="family")
    order = make_order(session, user, total_cents=17000)
    session.add(OrderItem(order_id=order.id, offer_id=duo.id, event_id=event.id, offer_type="duo",
                          offer_title="Duo pack", persons=2, quantity=1, unit_price_cents=5000))
    session.add(OrderItem(order_id=order.id, offer_id=family.id, event_id=event.id, offer_type="family",
                          offer_title="Family pack", persons=4, quantity=1, unit_price_cents=12000))
    tickets = [make_ticket(session, order, duo, user, index=1), make_ticket(session, order, family, user, index=2),
               make_ticket(session, order, family, user, index=3)]
    session.commit()
    return user, order, tickets


def test_documents_match_the_per_ticket_read_and_payloads_are_stored(session: Session) -> None:
    user, order, tickets = _order(session)
    assert all(t.qr_payload is None for t in tickets)
    documents = order_documents.ticket_documents(session, order.id)
    session.expire_all()
    assert [d.ticket_id for d in documents] == [t.id for t in tickets]
    for document in documents:
        assert session.get(Ticket, document.ticket_id).qr_payload == document.payload  # stored and committed
        assert verify(session, document.payload).ticket_id == document.ticket_id
        assert load_ticket_document(session, document.ticket_id) == document  # same fields, same fingerprint
    assert order_documents.ticket_documents(session, order.id) == documents  # stored payloads are reused

    read = order_documents.read_order(session, user.id, order.reference.lower())
    assert (read.order_id, read.email, read.total_cents, read.user_lang) == (order.id, user.email, 17000, "fr")
    assert [(line["offer"], line["quantity"], line["unit_price_cents"]) for line in read.lines] == [
        ("Duo pack", 1, 5000), ("Family pack", 1, 12000)]
    with pytest.raises(NotFoundError):
        order_documents.read_order(session, user.id + 1, order.reference)  # someone else's order: not found


@pytest.fixture
def pg_session(pg_engine) -> Iterator[Session]:
    with Session(pg_engine, expire_on_commit=False) as session:
        yield session


def test_a_payload_stored_meanwhile_is_the_one_printed(pg_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Concurrent writers: PostgreSQL only (SQLite serialises them with a database lock)."""
    session = pg_session
    _user, order, tickets = _order(session)
    real = signing.get_active_key

    def racing(own: Session):  # another process stores the first ticket's payload while this one signs
        material = real(own)
        with Session(own.get_bind()) as other:
            other.execute(update(Ticket).where(Ticket.id == tickets[0].id).values(qr_payload="JO1:THEIRS"))
            other.commit()
        return material

    monkeypatch.setattr(signing, "get_active_key", racing)
    documents = order_documents.ticket_documents(session, order.id)
    assert documents[0].payload == "JO1:THEIRS"
    assert all(d.payload.startswith("JO1:") and d.payload != "JO1:THEIRS" for d in documents[1:])
    stored = dict(session.execute(text("SELECT id, qr_payload FROM tickets WHERE order_id = :o"),
                                  {"o": order.id}).all())
    assert stored == {d.ticket_id: d.payload for d in documents}
