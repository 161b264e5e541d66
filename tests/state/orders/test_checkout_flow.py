"""The payment page over the websocket in few events (issue 12): its on_load runs inside Reflex's on_load_internal
(one event per page view, hydrated in the same delta), and the payment is one foreground event that sends the
disabled button first, pays exactly once per cart content (double clicks and resubmits give the same order back)
and re-checks the identity server-side."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from reflex.state import OnLoadInternalState
from reflex_base.registry import RegistrationContext
from sqlmodel import Session, func, select

from jo_app import application
from jo_app.models import Order
from jo_app.services.orders import cart as cart_service
from jo_app.state.orders.cart import CartState
from jo_app.state.orders.checkout import CheckoutState
from tests.state.catalog.test_shop_handlers import GOOD, _cart, _offers, _user
from tests.state.conftest import make_state as _state

DECLINED = {**GOOD, "card_number": "4000 0000 0000 0002"}


def _orders(engine, user_id: int) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(Order).where(Order.user_id == user_id)).one()


def _pay(state, form: dict) -> list[tuple[object, bool]]:
    """Run the pay handler as Reflex does; (what it yielded, `paying` at that moment) for each step."""
    async def drive():
        steps = []
        async for item in CheckoutState.event_handlers["pay"].fn(state, form):
            steps.append((item, state.paying))
        return steps

    return asyncio.run(drive())


def _sub(state, cls):
    """The `cls` state of `state`'s tree."""
    found = state._get_root_state()
    for name in cls.get_full_name().split(".")[1:]:
        found = found.substates[name]
    return found


def _redirect(item) -> str:
    """The path of a redirect event ("" for anything else)."""
    args = {name._js_expr: value for name, value in getattr(item, "args", ())}
    return args["path"]._var_value if "path" in args else ""


def _visit_checkout(state_on_load, loads) -> object:
    """Run on_load_internal (with `application`'s inline loads installed) for a page whose on_load is `loads`."""
    context = RegistrationContext.get()
    previous = context._app
    object.__setattr__(context, "_app", SimpleNamespace(get_load_events=lambda path: loads))  # a frozen dataclass
    try:
        application.install_inline_loads()
        return asyncio.run(OnLoadInternalState.event_handlers["on_load_internal"].fn(state_on_load))
    finally:
        object.__setattr__(context, "_app", previous)


def test_the_payment_page_loads_inside_on_load_internal(db_engine) -> None:
    owner, token = _user(db_engine, "inline@example.org")
    _event, offers = _offers(db_engine)
    with Session(db_engine) as db:
        cart_service.add_item(db, owner, offers["duo"], 2)
    on_load = _state(OnLoadInternalState, f"jo_session={token}", "/paiement")
    application._INLINE_LOADS.add(CheckoutState.load.fn)
    events = _visit_checkout(on_load, [CheckoutState.load])
    checkout = _sub(on_load, CheckoutState)
    assert on_load.is_hydrated and checkout.loaded and checkout.is_authenticated
    assert [line["quantity"] for line in checkout.lines] == [2] and checkout.can_checkout
    assert events == CartState.watch_hold  # the hold's countdown watcher, as the chained load returned
    # A page without an inline load keeps Reflex's chain: its handlers, then set_is_hydrated.
    other = _state(OnLoadInternalState, "", "/panier")
    chained = _visit_checkout(other, [CartState.load])
    assert len(chained) == 2 and not other.is_hydrated and not _sub(other, CartState).loaded


def test_inline_load_without_a_session_sends_to_login(db_engine) -> None:
    application._INLINE_LOADS.add(CheckoutState.load.fn)
    on_load = _state(OnLoadInternalState, "jo_session=forged", "/paiement")
    events = _visit_checkout(on_load, [CheckoutState.load])
    checkout = _sub(on_load, CheckoutState)
    assert _redirect(events).startswith("/connexion") and checkout.lines == [] and not checkout.is_authenticated


def test_inline_load_needs_one_plain_async_handler() -> None:
    with pytest.raises(ValueError):
        application.App.add_page(object(), lambda: None, on_load=[CheckoutState.load, CartState.load],
                                 identity_in_load=True, inline_load=True)
    with pytest.raises(ValueError):
        application.App.add_page(object(), lambda: None, on_load=CartState.watch_hold, identity_in_load=True,
                                 inline_load=True)


def test_pay_is_one_event_disabling_the_button_first_and_exactly_once(db_engine) -> None:
    owner, token = _user(db_engine, "payer@example.org")
    _event, offers = _offers(db_engine)
    state = _state(CheckoutState, f"jo_session={token}", "/paiement")
    basket = _sub(state, CartState)
    asyncio.run(CartState.event_handlers["add"].fn(basket, offers["solo"], 2))
    steps = _pay(state, GOOD)
    assert steps[0] == (None, True)  # first delta: the button disabled, "payment in progress"
    assert _redirect(steps[-1][0]).startswith("/commandes/JO24-") and not steps[-1][1]
    assert not state.paying and state.lines == [] and basket.count == 0 and basket.lines == []
    assert _orders(db_engine, owner) == 1 and _cart(db_engine, owner) == {}
    # A double click queued behind the payment: nothing paid twice, no second redirect (the page already went).
    again = _pay(state, GOOD)
    assert [item for item, _paying in again] == [None] and not state.paying and _orders(db_engine, owner) == 1
    # The cart filled again (before any page load): a new order.
    asyncio.run(CartState.event_handlers["add"].fn(basket, offers["solo"], 1))
    third = _pay(state, GOOD)
    assert _redirect(third[-1][0]) not in ("", _redirect(steps[-1][0])) and _orders(db_engine, owner) == 2


def test_pay_refusals_leave_the_button_enabled(db_engine) -> None:
    owner, token = _user(db_engine, "declined@example.org")
    _event, offers = _offers(db_engine)
    with Session(db_engine) as db:
        cart_service.add_item(db, owner, offers["solo"], 1)
    state = _state(CheckoutState, f"jo_session={token}", "/paiement")
    steps = _pay(state, DECLINED)
    assert [paying for _item, paying in steps] == [True] and not state.paying
    assert state.form_error.startswith("err.") and _orders(db_engine, owner) == 0
    assert _cart(db_engine, owner) == {offers["solo"]: 1}
    assert _pay(state, {**GOOD, "cvc": ""}) == [] and "cvc" in state.field_errors  # form errors: nothing sent
    # No valid session: the login page, nothing paid (identity checked on the server at payment time).
    stranger = _state(CheckoutState, "jo_session=forged", "/paiement")
    steps = _pay(stranger, GOOD)
    assert _redirect(steps[-1][0]).startswith("/connexion") and not stranger.paying
    assert _orders(db_engine, owner) == 0


def test_a_second_load_of_the_same_cart_sends_nothing_new(db_engine) -> None:
    """Handlers set only the vars that change (`AuthState._assign`): the payment page shown again for the cart the
    tab already shows marks no public var of the cart or the checkout dirty (nothing sent, the cart not saved)."""
    owner, token = _user(db_engine, "again@example.org")
    _event, offers = _offers(db_engine)
    with Session(db_engine) as db:
        cart_service.add_item(db, owner, offers["duo"], 1)
    state = _state(CheckoutState, f"jo_session={token}", "/paiement")
    asyncio.run(CheckoutState.event_handlers["load"].fn(state))
    cart_state = _sub(state, CartState)
    assert state.loaded and cart_state.count == 1 and state.dirty_vars and cart_state.dirty_vars
    deadline = cart_state._hold_deadline
    state._get_root_state()._clean()
    asyncio.run(CheckoutState.event_handlers["load"].fn(state))
    assert not state.dirty_vars and not cart_state.dirty_vars and cart_state._hold_deadline == deadline
    with Session(db_engine) as db:  # the cart changes: its new figures are sent
        cart_service.add_item(db, owner, offers["duo"], 1)
    asyncio.run(CheckoutState.event_handlers["load"].fn(state))
    assert {"lines", "count", "persons"} <= cart_state.dirty_vars and "lines" in state.dirty_vars
