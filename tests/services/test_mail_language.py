"""Every mail goes out in its RECIPIENT's stored language (`User.lang`), whoever triggers it, through the durable
outbox, delivered by the job worker to a real SMTP server on loopback; SQLite and PostgreSQL, French and English.
Secrets (codes, transfer tokens) are sealed in the job payload and dropped once the mail went out."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from jo_app.i18n import text
from jo_app.models import Lang, OutboxJob, Role, User
from jo_app.services import job_worker, jobs, mail_ownership
from jo_app.services.accounts import email_codes, user_lang, users
from jo_app.services.errors import ValidationError
from jo_app.services.orders import cart, checkout, direct_order
from jo_app.services.orders import history as orders
from jo_app.services.payment import PaymentCard
from jo_app.services.tickets import resale, signing, transfer_accept, transfers
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_user
from tests.mail_codes import code_in
from tests.services.tickets.ownership_world import build
from tests.services.tickets.test_resale import _open_resale, _priced_world
from tests.smtp_capture import SmtpCollector, smtp_capture

CARD = PaymentCard("4242 4242 4242 4242", 12, utcnow().year + 2, "123", "Ada Lovelace")
PASSWORD = "Piste!Verte2024"
LANGS = ("fr", "en")


def other(lang: str) -> str:
    return "en" if lang == "fr" else "fr"


def subject(key: str, lang: str, **values: str) -> str:
    """The exact subject line of a mail whose template's first line is `key` in `lang`."""
    return text("mail.subject", lang, subject=text(key, lang, **values))


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch, tmp_path, engine) -> Iterator[SmtpCollector]:
    with smtp_capture(monkeypatch, tmp_path / "outbox", engine) as collector:
        yield collector


@pytest.fixture(autouse=True)
def _fresh_keys():
    signing.clear_cache()
    yield
    signing.clear_cache()


def _ip() -> str:
    return f"198.51.100.{uuid.uuid4().int % 250 + 1}"


@pytest.mark.parametrize("lang", LANGS)
def test_account_mails_follow_the_stored_language(session: Session, smtp: SmtpCollector, lang: str) -> None:
    """Sign-up from a page in `lang` stores it; the verification code, a password reset and the notice of a
    second sign-up with the address (made from a page in the other language) all come in `lang`."""
    email = f"lea.{lang}.{uuid.uuid4().hex[:6]}@example.org"
    result = users.register(session, email=email, password=PASSWORD, first_name="Léa", last_name="Martin",
                            consent=True, client_ip=_ip(), lang=lang)
    assert str(users.get_user(session, result.user_id).lang) == lang
    [verify] = smtp.to(email)
    assert verify["Subject"] == subject("mail.code.subject_verify", lang)
    assert code_in(plain(verify)) == result.verification_code

    users.register(session, email=email, password=PASSWORD, first_name="Mallory", last_name="Intrus",
                   consent=True, client_ip=_ip(), lang=other(lang))
    notice = smtp.to(email)[-1]
    assert notice["Subject"] == subject("mail.existing.subject", lang)

    code = email_codes.request_password_reset(session, email, _ip())
    reset = smtp.to(email)[-1]
    assert reset["Subject"] == subject("mail.code.subject_reset", lang) and code_in(plain(reset)) == code
    assert len(smtp.to(email)) == 3


@pytest.mark.parametrize("lang", LANGS)
def test_order_mails_follow_the_buyer_not_the_admin(session: Session, smtp: SmtpCollector, lang: str) -> None:
    buyer = make_user(session, first_name="Ada", last_name="Lovelace", lang=Lang(lang))
    admin = make_user(session, role=Role.ADMIN, lang=Lang(other(lang)))
    offer = make_offer(session, make_event(session, capacity=10), price_cents=5000)
    session.commit()
    result = direct_order.checkout_items(session, buyer.id, [(offer.id, 2)], CARD, idempotency_key="lang-1")
    [confirmation] = smtp.to(buyer.email)
    assert confirmation["Subject"] == subject("mail.order.subject", lang, reference=result.reference)
    pdfs = [p for p in confirmation.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 2

    orders.cancel_order(session, admin.id, result.reference, reason="test", mail_customer=True)  # admin in other
    cancelled = smtp.to(buyer.email)[-1]
    assert cancelled["Subject"] == subject("mail.cancelled.subject", lang, reference=result.reference)
    assert smtp.to(admin.email) == []


def test_the_language_is_read_when_the_mail_is_sent(session: Session, smtp: SmtpCollector) -> None:
    """A switch made after the order but before the worker ran: the mail follows the language stored now."""
    buyer = make_user(session, lang=Lang.FR)
    offer = make_offer(session, make_event(session, capacity=10))
    session.commit()
    result = direct_order.checkout_items(session, buyer.id, [(offer.id, 1)], CARD, idempotency_key="lang-2")
    assert user_lang.set_lang(session, buyer.id, "en") and not user_lang.set_lang(session, buyer.id, "en")
    [confirmation] = smtp.to(buyer.email)
    assert confirmation["Subject"] == subject("mail.order.subject", "en", reference=result.reference)
    with pytest.raises(ValidationError):
        user_lang.set_lang(session, buyer.id, "de")


@pytest.mark.parametrize("lang", LANGS)
def test_transfer_mails_each_in_their_recipients_language(session: Session, smtp: SmtpCollector, lang: str) -> None:
    """Sender in `lang`, recipient (an account) in the other: the offer and the recipient's notice in the
    recipient's language, the sender's notice in the sender's. A recipient without an account gets the sender's
    language, and the account it creates on acceptance stores the page's."""
    world = build(session)
    world.buyer.lang, world.recipient.lang = Lang(lang), Lang(other(lang))
    session.add_all([world.buyer, world.recipient])
    session.commit()
    family, duo = world.tickets
    started = transfers.start_transfer(session, world.buyer.id, family.id, world.recipient.email, lang=lang)
    [offer] = smtp.to(world.recipient.email)
    assert offer["Subject"] == subject("mail.transfer.subject", other(lang), name="Ada Lovelace")
    assert mail_ownership.transfer_link(started.token) in plain(offer)

    transfer_accept.accept_transfer(session, world.recipient.id, started.token)
    [to_sender] = smtp.to(world.buyer.email)
    assert to_sender["Subject"] == subject("mail.transfer_done.subject_sender", lang)
    assert smtp.to(world.recipient.email)[-1]["Subject"] == subject("mail.transfer_done.subject_recipient",
                                                                    other(lang))

    newcomer = f"newcomer.{uuid.uuid4().hex[:6]}@example.org"
    second = transfers.start_transfer(session, world.buyer.id, duo.id, newcomer)  # no page language: the sender's
    [offer] = smtp.to(newcomer)
    assert offer["Subject"] == subject("mail.transfer.subject", lang, name="Ada Lovelace")
    done = transfer_accept.accept_with_new_account(session, second.token, first_name="Nina", last_name="Neuve",
                                                   password=PASSWORD, consent=True, lang=other(lang))
    assert str(session.get(User, done.recipient_id).lang) == other(lang)
    assert smtp.to(newcomer)[-1]["Subject"] == subject("mail.transfer_done.subject_recipient", other(lang))
    assert smtp.to(world.buyer.email)[-1]["Subject"] == subject("mail.transfer_done.subject_sender", lang)


def test_an_offer_cancelled_before_the_worker_ran_is_not_mailed(session: Session, smtp: SmtpCollector) -> None:
    world = build(session)
    started = transfers.start_transfer(session, world.buyer.id, world.tickets[0].id, "late@example.org")
    transfers.cancel_transfer(session, world.buyer.id, started.transfer_id)
    assert smtp.to("late@example.org") == []


@pytest.mark.parametrize("lang", LANGS)
def test_resale_seller_is_told_in_their_own_language_only(session: Session, smtp: SmtpCollector, lang: str) -> None:
    world = _priced_world(session)
    world.buyer.lang, world.recipient.lang = Lang(lang), Lang(other(lang))  # seller, buyer of the listing
    session.add_all([world.buyer, world.recipient])
    session.commit()
    _open_resale(session, world.event.id, fee_bps=500)
    duo = world.tickets[1]
    resale.list_ticket(session, world.buyer.id, duo.id)
    cart.add_item(session, world.recipient.id, duo.offer_id, 1)
    result = checkout.checkout(session, world.recipient.id, CARD, idempotency_key=uuid.uuid4().hex)
    assert smtp.to(world.recipient.email)[-1]["Subject"] == subject("mail.order.subject", other(lang),
                                                                    reference=result.reference)
    [sold] = smtp.to(world.buyer.email)
    assert sold["Subject"] == subject("mail.resale.subject", lang)
    assert text("mail.resale.subject", other(lang)) not in plain(sold)  # one language, not both


def test_secrets_are_sealed_in_the_outbox_and_dropped_once_sent(session: Session, smtp: SmtpCollector) -> None:
    email = f"sealed.{uuid.uuid4().hex[:6]}@example.org"
    result = users.register(session, email=email, password=PASSWORD, first_name="Léa", last_name="Martin",
                            consent=True, client_ip=_ip())
    world = build(session)
    started = transfers.start_transfer(session, world.buyer.id, world.tickets[0].id, world.recipient.email)
    rows = session.exec(select(OutboxJob).order_by(OutboxJob.id)).all()
    assert [r.kind for r in rows] == [jobs.ACCOUNT_CODE, jobs.TRANSFER_OFFER]
    code, token = result.verification_code, started.token
    for row, secret, key in ((rows[0], code, "sealed_code"), (rows[1], token, "sealed_token")):
        assert secret not in row.payload and secret.replace("-", "") not in row.payload
        assert json.loads(row.payload)[key].startswith("v1:")
    assert code_in(plain(smtp.to(email)[0])) == code  # unsealed by the worker
    assert token in plain(smtp.to(world.recipient.email)[0])
    session.expire_all()
    for row in session.exec(select(OutboxJob)).all():
        payload = json.loads(row.payload)
        assert row.status == "done" and not any(key.startswith("sealed_") for key in payload) and payload


def test_nothing_is_queued_when_the_change_is_refused(session: Session, smtp: SmtpCollector) -> None:
    world = build(session)
    with pytest.raises(ValidationError):
        transfers.start_transfer(session, world.buyer.id, world.tickets[0].id, world.buyer.email)
    with pytest.raises(ValidationError):
        users.register(session, email="weak@example.org", password="weak", first_name="W", last_name="K",
                       consent=True, client_ip=_ip())
    assert session.exec(select(OutboxJob)).all() == []


def test_a_retried_transfer_job_sends_only_the_missing_notice(session: Session, smtp: SmtpCollector) -> None:
    """The worker died after the server accepted the sender's notice (recorded) and before the recipient's: the
    next worker sends the recipient's only, each message exactly once."""
    world = build(session)
    started = transfers.start_transfer(session, world.buyer.id, world.tickets[0].id, world.recipient.email)
    assert smtp.deliver() == 1
    transfer_accept.accept_transfer(session, world.recipient.id, started.token)
    engine = session.get_bind()
    with Session(engine) as own:
        dead = jobs.claim(own, "dead-worker", lease_seconds=0)
    assert dead is not None and dead.kind == jobs.TRANSFER_DONE
    with Session(engine) as own:
        assert jobs.record_sent(own, dead, f"<job-{dead.id}.1@jo-etickets.example>")
    assert job_worker.run_pending(engine) == 1
    assert smtp.to(world.buyer.email) == []  # the sender's notice had been accepted before the crash
    [notice] = smtp.to(world.recipient.email)[1:]
    assert notice["Message-ID"] == f"<job-{dead.id}.2@jo-etickets.example>"


def test_a_party_erased_before_the_worker_ran_is_not_mailed(session: Session, smtp: SmtpCollector) -> None:
    world = build(session)
    started = transfers.start_transfer(session, world.buyer.id, world.tickets[0].id, world.recipient.email)
    assert smtp.deliver() == 1  # the offer
    transfer_accept.accept_transfer(session, world.recipient.id, started.token)
    erased = f"deleted-{world.buyer.id}@anonymized.invalid"
    world.buyer.anonymized_at, world.buyer.email = utcnow(), erased  # what the GDPR erasure leaves
    session.add(world.buyer)
    session.commit()
    assert smtp.deliver() == 1
    assert smtp.to(erased) == [] and len(smtp.to(world.recipient.email)) == 2  # the offer, then the notice
    assert {row.status for row in session.exec(select(OutboxJob)).all()} == {"done"}
