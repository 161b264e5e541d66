"""Ownership handlers called the way a hostile client could (any handler, any arguments): identity comes from the
session cookie only, and a user reaches only their own tickets and transfers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import reflex as rx
from sqlmodel import Session, select

from jo_app.i18n import CATALOGUE
from jo_app.models import Ticket, TicketTransfer
from jo_app.services import payment
from jo_app.services.accounts import sessions, users
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.services.orders import cart, checkout
from jo_app.services.tickets import transfers
from jo_app.state.orders import history as orders
from jo_app.state.tickets.ownership import OwnershipState, TransferAcceptState
from jo_app.timeutil import utcnow
from tests.state.conftest import make_state


def _user(engine, email: str) -> tuple[int, str]:
    with Session(engine) as db:
        user = users.create_user(db, email=email, password="Piste!Verte2024", first_name="Ana", last_name="Bo",
                                 verified=True)
        db.commit()
        return user.id, sessions.create_session(db, user.id)


def _ticket(engine, user_id: int) -> int:
    with Session(engine) as db:
        event_id = catalog_admin.create_event(db, None, EventInput(
            title="Finale", sport="Judo", venue="Arena", capacity=40,
            starts_at=(utcnow() + timedelta(days=3)).replace(microsecond=0)))
        offer = catalog_admin.create_offer(db, None, OfferInput(event_id=event_id, title="duo", offer_type="duo",
                                                                price_cents=1000))
        cart.add_item(db, user_id, offer, 1)
        return checkout.checkout(db, user_id, payment.PaymentCard("4242424242424242", 12, 2034, "123"),
                                 idempotency_key=f"k-{user_id}").ticket_ids[0]


def _state(cls, cookie: str, path: str = "/billets"):
    return make_state(cls, cookie, path)


def _run(cls, name: str, state, *args):
    result = cls.event_handlers[name].fn(state, *args)
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


def _holder(engine, ticket_id: int) -> tuple[int, str]:
    with Session(engine) as db:
        ticket = db.get(Ticket, ticket_id)
        return ticket.user_id, ticket.holder_name


def test_forged_ids_never_touch_someone_elses_ticket(db_engine) -> None:
    victim, _ = _user(db_engine, "victim@example.org")
    _attacker, token = _user(db_engine, "attacker@example.org")
    ticket_id = _ticket(db_engine, victim)
    for cookie in ("", "jo_session=forged", f"jo_session={token}"):
        state = _state(OwnershipState, cookie)
        _run(OwnershipState, "save_holder", state, {"ticket_id": str(ticket_id), "first_name": "Eve",
                                                    "last_name": "Evil"})
        _run(OwnershipState, "send_transfer", state, {"ticket_id": str(ticket_id), "email": "attacker@example.org"})
    assert _holder(db_engine, ticket_id) == (victim, "Ana Bo")
    assert state.feedback_key == "err.ticket_not_found" and not state.feedback_ok
    with Session(db_engine) as db:
        assert db.execute(select(TicketTransfer)).first() is None


def test_owner_names_transfers_and_cancels_and_the_attacker_cannot_cancel(db_engine) -> None:
    owner, token = _user(db_engine, "owner@example.org")
    _attacker, attacker_token = _user(db_engine, "attacker@example.org")
    ticket_id = _ticket(db_engine, owner)
    state = _state(OwnershipState, f"jo_session={token}")
    _run(OwnershipState, "save_holder", state, {"ticket_id": str(ticket_id), "first_name": "Marie",
                                                "last_name": "Curie"})
    assert state.feedback_key == "msg.own.holder_saved" and state.feedback_ok
    assert _holder(db_engine, ticket_id) == (owner, "Marie Curie")
    _run(OwnershipState, "send_transfer", state, {"ticket_id": str(ticket_id), "email": "friend@example.org"})
    assert state.feedback_key == "msg.own.transfer_sent"
    with Session(db_engine) as db:
        transfer_id = db.execute(select(TicketTransfer.id)).scalar_one()
    rows = asyncio.run(state.get_state(orders.OrdersState)).tickets
    assert rows[0]["transfer_id"] == transfer_id and rows[0]["transfer_to"] == "friend@example.org"
    attacker = _state(OwnershipState, f"jo_session={attacker_token}")
    _run(OwnershipState, "cancel_transfer", attacker, transfer_id, ticket_id)
    assert attacker.feedback_key == "err.transfer_not_found"
    _run(OwnershipState, "cancel_transfer", state, transfer_id, ticket_id)
    assert state.feedback_key == "msg.own.transfer_cancelled"
    _run(OwnershipState, "cancel_transfer", state, "1; DROP", ticket_id)  # bad argument types are ignored


def test_acceptance_page_requires_the_addressees_account(db_engine) -> None:
    owner, _ = _user(db_engine, "owner@example.org")
    _friend, friend_token = _user(db_engine, "friend@example.org")
    _other, other_token = _user(db_engine, "other@example.org")
    ticket_id = _ticket(db_engine, owner)
    with Session(db_engine) as db:
        link = transfers.start_transfer(db, owner, ticket_id, "friend@example.org").token
    path = f"/billets/transfert/{link}"
    anonymous = _state(TransferAcceptState, "", path)
    _run(TransferAcceptState, "load", anonymous)
    assert anonymous.offer["to_email"] == "friend@example.org" and anonymous.outcome == ""
    assert isinstance(_run(TransferAcceptState, "accept", anonymous), rx.event.EventSpec)  # to the login page
    wrong = _state(TransferAcceptState, f"jo_session={other_token}", path)
    _run(TransferAcceptState, "accept", wrong)
    assert wrong.error_key == "err.transfer_wrong_account"
    right = _state(TransferAcceptState, f"jo_session={friend_token}", path)
    _run(TransferAcceptState, "accept", right)
    assert right.outcome == "accepted" and _holder(db_engine, ticket_id)[1] == "Ana Bo"
    with Session(db_engine) as db:
        assert db.get(Ticket, ticket_id).user_id == _friend
    again = _state(TransferAcceptState, "", path)
    _run(TransferAcceptState, "load", again)
    assert again.outcome == "closed"
    bogus = _state(TransferAcceptState, "", "/billets/transfert/" + "A" * 43)
    _run(TransferAcceptState, "load", bogus)
    assert bogus.outcome == "unknown"


def test_every_ownership_error_code_has_both_translations() -> None:
    codes = ["ticket_not_found", "ticket_not_valid", "cutoff_passed", "ticket_changed", "invalid_name",
             "transfer_to_self", "transfer_limit", "transfer_pending", "transfer_not_found", "transfer_closed",
             "transfer_expired", "transfer_wrong_account", "account_exists"]
    for code in codes:
        assert set(CATALOGUE[f"err.{code}"]) == {"fr", "en"}


def test_resale_handlers_are_owner_only(db_engine) -> None:
    from jo_app.models import Event, ResaleListing
    from jo_app.services.tickets import resale

    owner, token = _user(db_engine, "seller@example.org")
    _attacker, attacker_token = _user(db_engine, "attacker@example.org")
    ticket_id = _ticket(db_engine, owner)
    with Session(db_engine) as db:
        event = db.get(Event, db.get(Ticket, ticket_id).event_id)
        event.resale_enabled = True
        db.add(event)
        db.commit()
    attacker = _state(OwnershipState, f"jo_session={attacker_token}")
    _run(OwnershipState, "list_for_resale", attacker, ticket_id)
    assert attacker.feedback_key == "err.ticket_not_found"
    state = _state(OwnershipState, f"jo_session={token}")
    _run(OwnershipState, "list_for_resale", state, ticket_id)
    assert state.feedback_key == "msg.own.listed"
    rows = asyncio.run(state.get_state(orders.OrdersState)).tickets
    with Session(db_engine) as db:
        listing_id = db.execute(select(ResaleListing.id)).scalar_one()
    assert rows[0]["listing_id"] == listing_id and rows[0]["resale_open"]
    _run(OwnershipState, "withdraw_listing", attacker, listing_id, ticket_id)
    assert attacker.feedback_key == "err.listing_not_found"
    _run(OwnershipState, "withdraw_listing", state, listing_id, ticket_id)
    assert state.feedback_key == "msg.own.withdrawn"
    with Session(db_engine) as db:
        assert not resale.is_listed(db, ticket_id)


@pytest.mark.parametrize("verdict,fr,en", [
    ("TRANSFERRED", "BILLET TRANSFÉRÉ", "TRANSFERRED"),
    ("CODE_EXPIRED", "CAPTURE D'ÉCRAN / CODE EXPIRÉ", "SCREENSHOT / CODE EXPIRED"),
    ("STATIC_REFUSED", "QR IMPRIMÉ REFUSÉ", "PRINTED QR REFUSED"),
])
def test_gate_verdicts_of_ownership_in_both_languages(verdict: str, fr: str, en: str) -> None:
    from jo_app.models import ScanVerdict
    from jo_app.services.gate.admission import ScanResult
    from jo_app.state.gate.view import verdict_view

    result = ScanResult(ScanVerdict(verdict), "", verdict.lower(), ticket_id=1, ticket_number="T1-01",
                        event_title="Finale")
    french, english = verdict_view(result, "fr"), verdict_view(result, "en")
    assert (french["title"], english["title"]) == (fr, en)
    assert "Ne pas faire entrer" in french["detail"] and "Do not admit" in english["detail"]
    assert french["holder"] == english["holder"] == ""
