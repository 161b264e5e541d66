"""Ticket ownership on "Mes billets" (name the holder, transfer, cancel a transfer) and the transfer acceptance page.

Every handler re-reads the user from the session cookie and the services check ownership: a ticket id or transfer
id sent by a forged event is "not found" unless it is the caller's. The acceptance token is read from the page URL
(it is the secret of the link e-mailed to the recipient) and never stored in a public var.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from jo_app.i18n.reactive import LangState  # registered with the state tree on import, not lazily
from jo_app.services.errors import DomainError
from jo_app.services.tickets import holders, resale, transfer_accept, transfers
from jo_app.state.account_common import call_service, error_of, in_thread
from jo_app.state.auth import AuthState
from jo_app.state.client_input import clean_text
from jo_app.state.orders.cart import login_redirect
from jo_app.state.orders.history import OrdersState, _tickets
from jo_app.state.shop_format import labels
from jo_app.state.tickets.ownership_rows import LIVE_QR_JS

ACCEPT_PREFIX = "/billets/transfert/"


def _incoming(session, user_id: int) -> list[dict[str, str]]:
    return [{"id": str(t.id), "from_name": t.from_name, "event_title": t.event_title}
            for t in transfers.list_transfers(session, user_id) if not t.outgoing and t.status == "pending"]


class OwnershipState(AuthState):
    """The holder / transfer forms of the ticket cards (one form open at a time) and their feedback."""

    open_form: str = ""  # "holder-<id>" or "transfer-<id>"
    feedback_ticket: int = 0
    feedback_key: str = ""
    feedback_ok: bool = False
    incoming: list[dict[str, str]] = []

    async def _lang(self) -> str:
        return (await self.get_state(LangState)).current_lang

    async def _reload(self, user_id: int) -> None:
        orders_state = await self.get_state(OrdersState)
        orders_state.tickets = await in_thread(_tickets, user_id)
        self.incoming = await call_service(_incoming, user_id)

    @rx.event
    async def load(self):
        """/billets: the transfers offered to me (the ticket list itself is OrdersState.load_tickets)."""
        user = await self.require_user()
        self.open_form, self.feedback_key = "", ""
        self.incoming = await call_service(_incoming, user.user_id) if user else []
        return rx.call_script(LIVE_QR_JS) if user else None

    @rx.event
    def show_form(self, kind: str, ticket_id: int):
        if kind in ("holder", "transfer") and isinstance(ticket_id, int):
            self.open_form = f"{kind}-{ticket_id}"
            self.feedback_key = ""

    @rx.event
    def close_form(self):
        self.open_form = ""

    def _feedback(self, ticket_id: int, key: str, ok: bool) -> None:
        self.feedback_ticket, self.feedback_key, self.feedback_ok = ticket_id, key, ok

    @staticmethod
    def _ticket_id(form_data: dict[str, Any]) -> int:
        try:
            return int(str(form_data.get("ticket_id", "0"))[:11])
        except ValueError:
            return 0

    async def _run(self, ticket_id: int, ok_key: str, fn, *args):
        user = await self.require_user()
        if user is None:
            return login_redirect("/billets")
        try:
            result = await call_service(fn, user.user_id, *args)
        except DomainError as exc:
            self._feedback(ticket_id, error_of(exc)[1], False)
            return None
        self.open_form = ""
        self._feedback(ticket_id, ok_key, True)
        await self._reload(user.user_id)
        return result

    @rx.event
    async def save_holder(self, form_data: dict[str, Any]):
        ticket_id = self._ticket_id(form_data)
        first, last = clean_text(form_data.get("first_name", ""), 60), clean_text(form_data.get("last_name", ""), 60)
        result = await self._run(ticket_id, "msg.own.holder_saved", _set_holder, ticket_id, first, last,
                                 self._client_ip())
        return result if isinstance(result, rx.event.EventSpec) else None

    @rx.event
    async def send_transfer(self, form_data: dict[str, Any]):
        ticket_id = self._ticket_id(form_data)
        email = clean_text(form_data.get("email", ""), 254)
        result = await self._run(ticket_id, "msg.own.transfer_sent", _start_transfer, ticket_id, email,
                                 self._client_ip(), await self._lang())  # the offer mail: a durable job
        return result if isinstance(result, rx.event.EventSpec) else None

    @rx.event
    async def list_for_resale(self, ticket_id: int):
        if not isinstance(ticket_id, int):
            return None
        result = await self._run(ticket_id, "msg.own.listed", _list_ticket, ticket_id, self._client_ip())
        return result if isinstance(result, rx.event.EventSpec) else None  # live seats: the service's event

    @rx.event
    async def withdraw_listing(self, listing_id: int, ticket_id: int):
        if not isinstance(listing_id, int) or not isinstance(ticket_id, int):
            return None
        result = await self._run(ticket_id, "msg.own.withdrawn", _withdraw, listing_id, self._client_ip())
        return result if isinstance(result, rx.event.EventSpec) else None

    @rx.event
    async def cancel_transfer(self, transfer_id: int, ticket_id: int):
        if not isinstance(transfer_id, int) or not isinstance(ticket_id, int):
            return None
        result = await self._run(ticket_id, "msg.own.transfer_cancelled", _cancel_transfer, transfer_id,
                                 self._client_ip())
        return result if isinstance(result, rx.event.EventSpec) else None


def _list_ticket(session, user_id: int, ticket_id: int, client_ip: str | None):
    return resale.list_ticket(session, user_id, ticket_id, client_ip=client_ip)


def _withdraw(session, user_id: int, listing_id: int, client_ip: str | None):
    return resale.withdraw(session, user_id, listing_id, client_ip=client_ip)


def _set_holder(session, user_id: int, ticket_id: int, first: str, last: str, client_ip: str | None):
    return holders.set_holder(session, user_id, ticket_id, first, last, client_ip=client_ip)


def _start_transfer(session, user_id: int, ticket_id: int, email: str, client_ip: str | None, lang: str):
    return transfers.start_transfer(session, user_id, ticket_id, email, client_ip=client_ip, lang=lang)


def _cancel_transfer(session, user_id: int, transfer_id: int, client_ip: str | None):
    return transfers.cancel_transfer(session, user_id, transfer_id, client_ip=client_ip)


def _preview(session, token: str) -> dict[str, Any] | None:
    try:
        view = transfers.preview(session, token)
    except DomainError:
        return None
    return {"status": view.status, "from_name": view.from_name, "event_title": view.event_title,
            "persons": view.persons, "to_email": view.to_email, **labels("when", moment=view.event_starts_at)}


class TransferAcceptState(AuthState):
    """/billets/transfert/[token]: what is offered, and accept (logged in) or create the account and accept."""

    offer: dict[str, Any] = {}
    outcome: str = ""  # "", "unknown", "closed", "accepted", "accepted_new"
    error_key: str = ""
    busy: bool = False

    def _token(self) -> str:
        path = self.router.url.path.rstrip("/")
        return clean_text(path[len(ACCEPT_PREFIX):], 128) if path.startswith(ACCEPT_PREFIX) else ""

    async def _lang(self) -> str:
        return (await self.get_state(LangState)).current_lang

    @rx.event
    async def load(self):
        self.offer, self.outcome, self.error_key, self.busy = {}, "", "", False
        self.is_authenticated = (await self.current_user()) is not None
        token = self._token()
        preview = await call_service(_preview, token) if token else None
        if preview is None:
            self.outcome = "unknown"
        elif preview["status"] != "pending":
            self.outcome = "closed"
        self.offer = preview or {}

    @rx.event
    async def accept(self):
        user = await self.require_user()
        token = self._token()
        if user is None:
            return login_redirect(ACCEPT_PREFIX + token)
        try:  # the notices to both parties: a durable job queued with the acceptance
            await call_service(_accept, user.user_id, token, self._client_ip())
        except DomainError as exc:
            self.error_key = error_of(exc)[1]
            return None
        self.outcome, self.error_key = "accepted", ""
        return None

    @rx.event
    async def create_and_accept(self, form_data: dict[str, Any]):
        token = self._token()
        try:
            await call_service(
                _accept_new, token, clean_text(form_data.get("first_name", ""), 60),
                clean_text(form_data.get("last_name", ""), 60), str(form_data.get("password", ""))[:256],
                form_data.get("consent") in ("on", True, "true"), self._client_ip(), await self._lang())
        except DomainError as exc:
            self.error_key = error_of(exc)[1]
            return None
        self.outcome, self.error_key = "accepted_new", ""
        return None


def _accept(session, user_id: int, token: str, client_ip: str | None):
    return transfer_accept.accept_transfer(session, user_id, token, client_ip=client_ip)


def _accept_new(session, token: str, first: str, last: str, password: str, consent: bool, client_ip: str | None,
                lang: str):
    return transfer_accept.accept_with_new_account(session, token, first_name=first, last_name=last, password=password,
                                                   consent=consent, client_ip=client_ip, lang=lang)
