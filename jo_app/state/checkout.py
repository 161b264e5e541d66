"""Checkout state: card form with inline validation, one payment per attempt key, confirmation mail after commit.

Exactly once: `_attempt_key` (uuid4, backend only) is minted on the server when the checkout page loads and
reused until an order is made with it; `services.checkout` returns the same order for the same key, so double
clicks, retries and reloads never pay twice. The pay handler runs as a background event (the payment and the
database work go to a thread) and the button stays disabled while `paying`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

import reflex as rx

from jo_app.api import metrics
from jo_app.config import get_settings
from jo_app.db import session_scope
from jo_app.i18n import LangState, normalize_lang
from jo_app.services import cart as cart_service
from jo_app.services import checkout as checkout_service
from jo_app.services import mail, orders, payment, ticket_render
from jo_app.services.errors import DomainError
from jo_app.state.admin_live import publish_admin_stats
from jo_app.state.auth import AuthState
from jo_app.state.cart import CartState, login_redirect, view_dict
from jo_app.state.shop_format import clean_text, error_key
from jo_app.state.stock import publish_stock

log = logging.getLogger(__name__)
_MAIL_TASKS: set[asyncio.Task] = set()
FIELDS = ("card_number", "expiry", "cvc", "holder")


_GOOD = {"card_number": "4242424242424242", "amex": "378282246310005", "cvc": "123", "amex_cvc": "1234"}


def _split_expiry(expiry: str) -> tuple[int, int] | None:
    month, _, year = expiry.partition("/")
    if month.isdigit() and year.isdigit() and len(month) <= 2 and len(year) in (2, 4):
        return int(month), int(year)
    return None


def parse_card(form: dict[str, Any]) -> tuple[payment.PaymentCard | None, dict[str, str]]:
    """The card from the form, or field -> catalogue key of each field's first problem (all fields checked)."""
    number = clean_text(form.get("card_number", ""), 40)
    expiry = clean_text(form.get("expiry", ""), 10).replace(" ", "")
    cvc = clean_text(form.get("cvc", ""), 8)
    holder = clean_text(form.get("holder", ""), 100)
    errors: dict[str, str] = {}
    if not holder:
        errors["holder"] = "err.shop.holder_required"
    parsed = _split_expiry(expiry)
    if parsed is None:
        errors["expiry"] = "err.shop.invalid_expiry"
    card = payment.PaymentCard(number=number, exp_month=parsed[0] if parsed else 0,
                               exp_year=parsed[1] if parsed else 0, cvc=cvc, holder=holder)
    probe = card if parsed else payment.PaymentCard(number=number, exp_month=12, exp_year=2039,
                                                     cvc=cvc, holder=holder)
    for _ in range(3):  # validate_card stops at the first problem: replace the faulty field and go on
        try:
            payment.validate_card(probe)
            break
        except DomainError as error:
            field = error.field if error.field in FIELDS else "card_number"
            errors.setdefault(field, error_key(error.code))
            amex = probe.digits[:2] in ("34", "37")
            if field == "card_number":
                probe = payment.PaymentCard(number=_GOOD["amex" if amex else "card_number"], exp_month=probe.exp_month,
                                            exp_year=probe.exp_year, cvc=probe.cvc)
            elif field == "expiry":
                probe = payment.PaymentCard(number=probe.number, exp_month=12, exp_year=2039, cvc=probe.cvc)
            else:
                probe = payment.PaymentCard(number=probe.number, exp_month=probe.exp_month, exp_year=probe.exp_year,
                                            cvc=_GOOD["amex_cvc" if amex else "cvc"])
    return (None if errors else card), errors


def _quote(user_id: int) -> dict[str, Any]:
    with session_scope() as session:
        return view_dict(cart_service.get_cart(session, user_id))


def _has_order(user_id: int, key: str) -> bool:
    with session_scope() as session:
        return checkout_service.find_existing(session, user_id, key) is not None


def _pay(user_id: int, card: payment.PaymentCard, key: str, client_ip: str | None):
    with session_scope() as session:
        return checkout_service.checkout(session, user_id, card, idempotency_key=key, client_ip=client_ip)


def send_confirmation(user_id: int, first_name: str, reference: str, lang: str) -> None:
    """The confirmation mail with every ticket PDF (blocking; after the commit; errors are logged only)."""
    try:
        with session_scope() as session:
            detail = orders.get_order(session, user_id, reference)
            lines = [{"event": line.event_title, "offer": line.offer_title, "quantity": line.quantity,
                      "unit_price_cents": line.unit_price_cents, "starts_at": line.event_starts_at}
                     for line in detail.lines]
            pdfs = [(f"billet-{t.number}.pdf", ticket_render.cached_ticket_pdf(session, t.id))
                    for t in detail.tickets]
            mail.send_order_confirmation(detail.summary.email, first_name, reference, lines,
                                         detail.summary.total_cents, pdfs, lang=lang)
    except Exception:  # the order stands; the tickets stay downloadable from the account
        log.exception("confirmation mail for order %s failed", reference)


def _send_later(*args: Any) -> None:
    task = asyncio.create_task(asyncio.to_thread(send_confirmation, *args))
    _MAIL_TASKS.add(task)
    task.add_done_callback(_MAIL_TASKS.discard)


class CheckoutState(AuthState):
    """The /paiement page."""

    lines: list[dict[str, Any]] = []
    total_fr: str = ""
    total_en: str = ""
    can_checkout: bool = False
    loaded: bool = False
    paying: bool = False
    field_errors: dict[str, str] = {}  # field -> catalogue key
    form_error: str = ""  # catalogue key of a refusal (declined, sold out, ...)
    show_test_cards: bool = False
    test_cards: list[dict[str, str]] = []
    _attempt_key: str = ""
    _paying_since: float = 0.0

    @rx.event
    async def load(self):
        """on_load: the user's cart, and an attempt key kept until it has produced an order."""
        user = await self.require_user()
        if user is None:
            return login_redirect("/paiement")
        if self.paying and time.time() - self._paying_since > 120:  # a payment lost in a server restart
            self.paying = False
        if not self.paying:
            self.form_error, self.field_errors = "", {}
            if not self._attempt_key or await asyncio.to_thread(_has_order, user.user_id, self._attempt_key):
                self._attempt_key = uuid.uuid4().hex
        data = await asyncio.to_thread(_quote, user.user_id)
        self.lines, self.can_checkout = data["lines"], data["can_checkout"]
        self.total_fr, self.total_en = data["total_fr"], data["total_en"]
        self.show_test_cards = not get_settings().is_production
        self.test_cards = list(payment.TEST_CARDS) if self.show_test_cards else []
        self.loaded = True
        return None

    @rx.event
    def check_field(self, field: str, form_value: str):
        """Inline validation of one field on blur (only clears or sets that field's message)."""
        if field not in FIELDS:
            return
        errors = dict(self.field_errors)
        errors.pop(field, None)
        if form_value:
            probe = {"card_number": "4242424242424242", "expiry": "12/99", "cvc": "123", "holder": "x",
                     field: form_value}
            _card, found = parse_card(probe)
            if field in found:
                errors[field] = found[field]
        self.field_errors = errors

    @rx.event(background=True)
    async def pay(self, form: dict[str, Any]):
        """Pay the cart. Background: the lock is held only to read and write this state, never while paying."""
        async with self:
            if self.paying:
                return
            user = await self.require_user()
            if user is None:
                yield login_redirect("/paiement")
                return
            card, errors = parse_card(form if isinstance(form, dict) else {})
            self.field_errors, self.form_error = errors, ""
            if card is None:
                return
            if not self._attempt_key:
                self._attempt_key = uuid.uuid4().hex
            key, client_ip = self._attempt_key, self._client_ip()
            lang = normalize_lang((await self.get_state(LangState)).lang)
            self.paying, self._paying_since = True, time.time()
        try:
            result = await asyncio.to_thread(_pay, user.user_id, card, key, client_ip)
        except DomainError as error:
            async with self:
                self.paying = False
                if isinstance(error, payment.PaymentDeclinedError) or error.field not in FIELDS:
                    self.form_error = error_key(error.code)
                else:
                    self.field_errors = {**self.field_errors, error.field: error_key(error.code)}
            return
        except Exception:  # never a stack trace to the user
            log.exception("checkout failed")
            async with self:
                self.paying = False
                self.form_error = "err.shop.generic"
            return
        if result.created:
            metrics.record_order(result.total_cents)
            metrics.record_tickets(len(result.ticket_ids))
            _send_later(user.user_id, user.first_name, result.reference, lang)
        event_ids = await asyncio.to_thread(_event_ids, user.user_id, result.reference)
        await publish_stock(None, event_ids)
        if result.created:
            await publish_admin_stats(None)
        async with self:
            self.lines, self.can_checkout = [], False
            cart = await self.get_state(CartState)
            cart.count, cart.lines = 0, []
        yield rx.redirect(f"/commandes/{result.reference}")
        async with self:
            self.paying = False


def _event_ids(user_id: int, reference: str) -> list[int]:
    with session_scope() as session:
        return sorted({line.event_id for line in orders.get_order(session, user_id, reference).lines})
