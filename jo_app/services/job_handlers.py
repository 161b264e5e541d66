"""What each durable job kind does (run by `jo_app.services.job_worker`, after the commit that queued it).

Handlers only read the database and send mails; they may run twice for one job (a worker died before marking it
done): `jo_app.services.mail_delivery` makes the second run skip every mail the SMTP server already accepted.
Every mail goes out in its RECIPIENT's stored language (`User.lang`, read now), whoever caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from jo_app.i18n import normalize_lang
from jo_app.models import EmailCodePurpose, Event, Ticket, TicketTransfer, TransferStatus, User
from jo_app.services import jobs, mail, mail_jobs, mail_ownership
from jo_app.services.accounts.user_lang import lang_for_email, lang_of
from jo_app.services.tickets import order_documents
from jo_app.services.tickets import render as ticket_render

log = logging.getLogger(__name__)


def _user(session: Session, user_id: Any) -> User | None:
    user = session.get(User, int(user_id)) if user_id is not None else None
    return user if user is not None and user.anonymized_at is None else None


def order_confirmation(session: Session, payload: dict[str, Any]) -> None:
    """The confirmation mail with every ticket PDF (buyer's language), then the official-resale sellers' notices.
    The order and its tickets are read in two statements (`order_documents`), each PDF rendered once."""
    order = order_documents.read_order(session, int(payload["user_id"]), str(payload["reference"]))
    lang = normalize_lang(order.user_lang or payload.get("lang"))
    pdfs = [(f"billet-{document.ticket_number}.pdf", ticket_render.cached_document_pdf(document, lang))
            for document in order_documents.ticket_documents(session, order.order_id)]
    mail.send_order_confirmation(order.email, str(payload.get("first_name") or ""), order.reference,
                                 list(order.lines), order.total_cents, pdfs, lang=lang)
    if payload.get("resale", True):  # official resale (jobs queued before this flag existed: looked for)
        mail_ownership.notify_resale_sellers(session, order.order_id)


def order_cancelled(session: Session, payload: dict[str, Any]) -> None:
    """The notice that an order was cancelled, in the buyer's language (not the cancelling admin's)."""
    lang = lang_of(_user(session, payload.get("user_id")), payload.get("lang"))
    mail.send_order_cancelled(str(payload["email"]), str(payload.get("first_name") or ""), str(payload["reference"]),
                              lang=lang)


def account_code(session: Session, payload: dict[str, Any]) -> None:
    """A verification or password reset code (unsealed here, never logged)."""
    user = _user(session, payload["user_id"])
    if user is None:  # anonymized meanwhile: nobody to write to
        return
    purpose = str(payload["purpose"])
    code = mail_jobs.unseal(payload, "code", mail_jobs.code_context(int(user.id), purpose))
    send = mail.send_password_reset if purpose == EmailCodePurpose.RESET_PASSWORD else mail.send_verification_code
    send(user.email, user.first_name, code, lang_of(user))


def existing_account(session: Session, payload: dict[str, Any]) -> None:
    """The notice to the owner of an address someone tried to sign up with."""
    user = _user(session, payload["user_id"])
    if user is not None:
        mail.send_existing_account_notice(user.email, user.first_name, lang_of(user))


def _transfer(session: Session, transfer_id: int) -> tuple[TicketTransfer, Event, User] | None:
    transfer = session.get(TicketTransfer, transfer_id)
    if transfer is None:
        return None
    ticket = session.get(Ticket, transfer.ticket_id)
    event, sender = session.get(Event, ticket.event_id), session.get(User, transfer.from_user_id)
    return transfer, event, sender


def transfer_offer(session: Session, payload: dict[str, Any]) -> None:
    """The offer to the recipient: their language when the address has an account, else the sender's. Not sent
    once the transfer is closed (cancelled before the worker ran: its link would not work)."""
    found = _transfer(session, int(payload["transfer_id"]))
    if found is None or found[0].status != TransferStatus.PENDING:
        log.info("transfer %s no longer pending: offer mail dropped", payload["transfer_id"])
        return
    transfer, event, sender = found
    token = mail_jobs.unseal(payload, "token", mail_jobs.transfer_context(int(transfer.id)))
    lang = lang_for_email(session, transfer.to_email, payload.get("fallback_lang") or lang_of(sender))
    mail_ownership.send_transfer_offer(transfer.to_email, f"{sender.first_name} {sender.last_name}", event.title,
                                       event.starts_at, token, transfer.expires_at, lang)


def transfer_done(session: Session, payload: dict[str, Any]) -> None:
    """The notices of an accepted transfer: the sender's and the recipient's, each in their own language."""
    found = _transfer(session, int(payload["transfer_id"]))
    if found is None or found[0].to_user_id is None:
        return
    transfer, event, sender = found
    recipient = session.get(User, transfer.to_user_id)
    sender_to, recipient_to = (None if u.anonymized_at else u.email for u in (sender, recipient))  # erased: skip
    mail_ownership.send_transfer_done(sender_to, sender.first_name, recipient_to, recipient.first_name,
                                      event.title, lang_of(sender), lang_of(recipient))


HANDLERS: dict[str, Callable[[Session, dict[str, Any]], None]] = {
    jobs.ORDER_CONFIRMATION: order_confirmation,
    jobs.ORDER_CANCELLED: order_cancelled,
    jobs.ACCOUNT_CODE: account_code,
    jobs.EXISTING_ACCOUNT: existing_account,
    jobs.TRANSFER_OFFER: transfer_offer,
    jobs.TRANSFER_DONE: transfer_done,
}
