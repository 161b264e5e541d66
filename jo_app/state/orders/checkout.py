"""Checkout state: card form with inline validation, one payment per cart content (the service does the rest).

Exactly once: the idempotency key belongs to what is paid, not to a page load: `services.orders.cart_key.content_key`
hashes the cart's current lines, read in the same transaction as the payment. Double clicks and retries of one
cart share one key (`services.orders.checkout` returns the same order); a cart filled again after an order has new
lines, hence a new key, even if the payment is sent before the page's on_load has finished. The pay handler runs as a
foreground event (one state cycle; the payment and the database work go to a thread, the tab's next events wait
for it) and the button stays disabled while `paying`.
After the payment the service's domain event and durable job do the rest (metrics, live pushes, confirmation mail
in the buyer's stored language): nothing here follows the call.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import reflex as rx

from jo_app.config import get_settings
from jo_app.db import session_scope
from jo_app.i18n import error_key
from jo_app.services import payment
from jo_app.services.errors import DomainError
from jo_app.services.orders import cart_key, cart_view
from jo_app.services.orders import checkout as checkout_service
from jo_app.state.auth import AuthState, _resolve_then
from jo_app.state.client_input import clean_text
from jo_app.state.orders.cart import CartState, login_redirect, redirect_to, view_dict
from jo_app.state.orders.queue import QueueState

log = logging.getLogger(__name__)
FIELDS = ("card_number", "expiry", "cvc", "holder")


_GOOD = {"card_number": "4242424242424242", "amex": "378282246310005", "cvc": "123", "amex_cvc": "1234"}


def _split_expiry(expiry: str) -> tuple[int, int] | None:
    """(month, year) from "MM/YY", "MM/YYYY" or the bare digits "MMYY" a phone keypad gives; None otherwise."""
    if expiry.isdigit() and len(expiry) in (4, 6):
        expiry = f"{expiry[:2]}/{expiry[2:]}"
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
        errors["holder"] = "err.holder_required"
    parsed = _split_expiry(expiry)
    if parsed is None:
        errors["expiry"] = "err.invalid_expiry"
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


def _quote_in(session, user_id: int) -> dict[str, Any]:
    return view_dict(cart_view.get_cart(session, user_id))


def _pay_in(session, user_id: int, card: payment.PaymentCard, previous_key: str, client_ip: str | None,
            passes: list[str] | None = None):
    """Pay the cart as it is in the database now; returns (result, key used). An empty cart whose last key from
    this page already produced an order (a resubmit after success) gives that order back. The key is read in the
    statement that locks the cart for the payment (`cart_key.key_and_lock`)."""
    key, locked = cart_key.key_and_lock(session, user_id)
    if key is None and previous_key:
        existing = checkout_service.find_existing(session, user_id, previous_key)
        if existing is not None:
            return existing, previous_key
    key = key or "cart-empty"
    return checkout_service.checkout(session, user_id, card, idempotency_key=key, client_ip=client_ip,
                                     queue_pass=passes, locked=locked), key


def _pay(user_id: int, card: payment.PaymentCard, previous_key: str, client_ip: str | None):
    """`_pay_in` in a session of its own."""
    with session_scope() as session:
        return _pay_in(session, user_id, card, previous_key, client_ip)


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
    _attempt_key: str = ""  # the key of this page's last payment (cart content hash)

    @rx.event
    async def load(self):
        """on_load (the page's only one: it also sets the display identity, see `App.add_page`): the user's cart
        (the payment's key is derived from the cart when paying, not here)."""
        user, data = await self.run_as_user(_quote_in, read_only=True)  # identity and cart: one session, reads
        self._show_identity(user)
        if user is None:
            return login_redirect("/paiement")
        show_test_cards = not get_settings().is_production
        self._assign(  # only what changed since this tab last showed the page is sent
            paying=False,  # (a payment holds the state lock: none is running while this runs)
            form_error="", field_errors={}, lines=data["lines"], can_checkout=data["can_checkout"],
            total_fr=data["total_fr"], total_en=data["total_en"], show_test_cards=show_test_cards,
            test_cards=list(payment.TEST_CARDS) if show_test_cards else [], loaded=True)
        cart = await self.get_state(CartState)  # the seat hold's countdown and its expiry watcher
        cart._apply(data)
        return cart._watch()

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
        if field == "expiry" and "expiry" not in errors:
            parsed = _split_expiry(clean_text(form_value, 10).replace(" ", ""))
            if parsed is not None:  # shown the way it is printed on the card: 1229 -> 12/29
                shown = json.dumps(f"{parsed[0]:02d}/{parsed[1] % 100:02d}")
                return rx.call_script(f"(() => {{ const el = document.getElementById('card-expiry'); "
                                      f"if (el) el.value = {shown}; }})()")
        return None

    @rx.event
    async def pay(self, form: dict[str, Any]):
        """Pay the cart: one event (one state load and save), the payment and its database work in a thread.

        The button is disabled (`paying`, sent at once by a first delta) until the outcome. This tab's next events
        (a double click, a resubmit) wait for the state lock and then find the cart paid: `_pay_in` gives the same
        order back (the key is the cart's content, `_attempt_key` the last one paid here) and nothing is sent again
        (the order's page is already on its way)."""
        token = self._session_token()
        if token is None:
            yield login_redirect("/paiement")
            return
        card, errors = parse_card(form if isinstance(form, dict) else {})
        self._assign(field_errors=errors, form_error="")
        if card is None:
            return
        passes = (await self.get_state(QueueState))._pass_list()
        self.paying = True
        yield  # the delta now: the button disabled, "payment in progress" shown
        try:  # identity re-read, then the payment, in one database session and one thread hop
            user, paid = await asyncio.to_thread(_resolve_then, token, frozenset(), _pay_in,
                                                 (card, self._attempt_key, self._client_ip(), passes))
        except DomainError as error:
            if isinstance(error, payment.PaymentDeclinedError) or error.field not in FIELDS:
                self.form_error = error_key(error.code)
            else:
                self.field_errors = {**self.field_errors, error.field: error_key(error.code)}
            return
        except Exception:  # never a stack trace to the user
            log.exception("checkout failed")
            self.form_error = "err.generic"
            return
        finally:
            self.paying = False
        if user is None:
            yield login_redirect("/paiement")
            return
        result, key = paid
        if not result.created and key == self._attempt_key:  # a click queued behind this page's own payment (the
            return  # double click): that order was paid and its page already sent; nothing more to do
        self._attempt_key = key
        self.lines, self.can_checkout = [], False
        (await self.get_state(CartState))._clear()  # the database cart was emptied by the payment
        yield redirect_to(f"/commandes/{result.reference}")
