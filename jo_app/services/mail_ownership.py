"""E-mails of ticket transfers and resale, each in its recipient's language: the offer to the recipient, the notices
to both parties once accepted, and the seller's notice when a listed ticket sold. Bodies are the Jinja2 templates
of jo_app/templates/mail/ (`mail_templates.render`), sent with `mail.send_mail` by the durable jobs
(`job_handlers`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from jo_app.config import get_settings
from jo_app.i18n.formats import format_long, format_price
from jo_app.models import Event, ListingStatus, ResaleListing, User
from jo_app.services.mail import send_mail
from jo_app.services.mail_templates import render


def transfer_link(token: str) -> str:
    """The acceptance page of a transfer (the token is the only secret in it)."""
    return f"{get_settings().app_url.rstrip('/')}/billets/transfert/{token}"


def send_transfer_offer(to: str, from_name: str, event_title: str, starts_at: datetime, token: str,
                        expires_at: datetime, lang: str = "fr") -> str:
    """To the recipient: who offers which ticket, and the acceptance link (valid until `expires_at`)."""
    rendered = render("transfer_offer", lang, from_name=from_name, event=event_title,
                      when=format_long(starts_at, lang), until=format_long(expires_at, lang), link=transfer_link(token))
    return send_mail(to, rendered.subject, rendered.text, html=rendered.html)


def send_transfer_done(sender_email: str | None, sender_name: str, recipient_email: str | None,
                       recipient_name: str, event_title: str, sender_lang: str = "fr",
                       recipient_lang: str = "fr") -> tuple[str | None, str | None]:
    """To both parties once the recipient accepted, each in their own language (an address of None: that party's
    account was erased meanwhile, nothing to send). Returns the two Message-IDs (sender's, recipient's)."""
    url = f"{get_settings().app_url.rstrip('/')}/billets"
    to_sender = render("transfer_done_sender", sender_lang, first_name=sender_name, event=event_title,
                       email=recipient_email)
    to_recipient = render("transfer_done_recipient", recipient_lang, first_name=recipient_name, event=event_title,
                          url=url)
    return (send_mail(sender_email, to_sender.subject, to_sender.text, html=to_sender.html) if sender_email else None,
            send_mail(recipient_email, to_recipient.subject, to_recipient.text, html=to_recipient.html)
            if recipient_email else None)


def notify_resale_sellers(session: Session, order_id: int) -> int:
    """After an order committed: tell each seller whose listed ticket it bought that it sold and what is refunded
    (face value minus the fee), in the seller's stored language (not the buyer's). Returns how many mails were
    sent."""
    rows = session.execute(
        select(ResaleListing.price_cents, ResaleListing.fee_cents, User.email, User.first_name, User.lang,
               Event.title)
        .join(User, User.id == ResaleListing.seller_id).join(Event, Event.id == ResaleListing.event_id)
        .where(ResaleListing.order_id == order_id, ResaleListing.status == ListingStatus.SOLD)
        .order_by(ResaleListing.id)).all()  # a stable order: a retried job skips the mails already accepted
    for price, fee, email, first_name, lang, title in rows:
        rendered = render("resale_sold", str(lang), first_name=first_name, event=title,
                          amount=format_price(price - fee, str(lang)))
        send_mail(email, rendered.subject, rendered.text, html=rendered.html)
    return len(rows)
