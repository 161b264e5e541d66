"""Waiting-room page (/file-attente/<on-sale id>): join, place and wait, then enter the shop with a pass.

Live without per-visitor server work: the on-sale's numbers arrive by broadcast (QueueLiveState) and the browser
works out this visitor's people ahead and wait from its own place (Var arithmetic below, compiled to the page).
"""

from __future__ import annotations

import reflex as rx

from jo_app.components.layout import page_shell
from jo_app.i18n import LangState, tr, tr_var
from jo_app.pages.shop_components import BLUE, MUTED, PRIMARY, trv
from jo_app.state.orders.queue import QueueState
from jo_app.state.orders.queue_live import QueueLiveState as Live


def _from_now(moment: rx.Var, testid: str) -> rx.Component:
    """"in 3 minutes" counted down in the browser (no server tick)."""
    def one(locale: str) -> rx.Component:
        return rx.moment(moment, from_now=True, interval=1000, locale=locale, custom_attrs={"data-testid": testid})
    return rx.cond(LangState.current_lang == "en", one("en"), one("fr"))


# The broadcast numbers are this page's on-sale's (a tab that moved between queues ignores the other one's).
_LIVE = Live.live_onsale_id == QueueState.onsale_id
_TURN = _LIVE & (QueueState.position > 0) & (Live.admitted_through >= QueueState.position)
_AHEAD = rx.cond(_LIVE, QueueState.position - Live.admitted_through - 1, QueueState.ahead)
# about ceil((ahead + 1) / rate) minutes (at least 1), computed in the browser
_ETA = rx.cond(_LIVE, -((-(_AHEAD + 1)) // rx.cond(Live.rate > 0, Live.rate, 1)), QueueState.wait_minutes)
_PAUSED = rx.cond(_LIVE, Live.paused, QueueState.wait_minutes < 0)


def _trigger(handler: rx.EventHandler, testid: str) -> rx.Component:
    """An invisible element whose mounting calls `handler` once (the page's own reaction to a broadcast)."""
    return rx.box(display="none", on_mount=handler, custom_attrs={"data-testid": testid})


def _waiting() -> rx.Component:
    return rx.cond(
        _TURN,
        rx.hstack(rx.spinner(), rx.text(tr("queue.your_turn"), id="queue-your-turn"),
                  _trigger(QueueState.admit, "queue-admit"), align="center"),
        rx.vstack(
            rx.heading(trv("queue.position", n=QueueState.position), as_="h2", size="6", id="queue-position"),
            rx.text(trv("queue.ahead", n=_AHEAD), id="queue-ahead"),
            rx.cond(_PAUSED, rx.text(tr("queue.paused"), color=MUTED, id="queue-paused"),
                    rx.text(trv("queue.eta", n=_ETA), color=MUTED, id="queue-eta")),
            spacing="2",
        ),
    )


def _before_opening() -> rx.Component:
    return rx.cond(
        _LIVE & Live.opened,  # the draw is done: ask once for this visitor's place
        rx.hstack(rx.spinner(), _trigger(QueueState.refresh, "queue-draw")),
        rx.vstack(
            rx.text(tr("queue.before_opening"), " ", _from_now(QueueState.opens_at, "opens-in"), ".",
                    id="queue-before-opening"),
            rx.text(tr("queue.draw_note"), color=MUTED, size="2"), spacing="2"),
    )


def _admitted() -> rx.Component:
    return rx.vstack(
        rx.callout.root(rx.callout.text(tr("queue.admitted"), " ", _from_now(QueueState.pass_until, "pass-left"),
                                        "."),
                        color_scheme="green", role="status", id="queue-admitted"),
        rx.link(rx.button(tr("queue.enter"), size="3", style=PRIMARY, tab_index=-1),
                href=rx.cond(QueueState.event_id > 0, "/billetterie/" + QueueState.event_id.to(str), "/billetterie"),
                id="queue-enter"),
        spacing="3",
    )


def _closed() -> rx.Component:
    return rx.vstack(rx.text(tr("queue.closed"), id="queue-closed"),
                     rx.link(tr("cart.browse"), href="/billetterie", color=BLUE))


def queue_page() -> rx.Component:
    return page_shell(
        rx.cond(QueueState.error_code != "",
                rx.callout(tr_var(QueueState.error_code), icon="triangle_alert", color_scheme="red", role="alert",
                           id="queue-error")),
        rx.text(tr("queue.intro"), margin_bottom="1rem"),
        rx.el.div(
            rx.cond(
                _LIVE & Live.closed & (QueueState.state != "admitted"),  # the admin ended the queue: free sale
                _closed(),
                rx.match(
                    QueueState.state,
                    ("not_joined", rx.button(tr("queue.join"), size="3", style=PRIMARY, on_click=QueueState.join,
                                             id="queue-join")),
                    ("before_opening", _before_opening()),
                    ("waiting", _waiting()),
                    ("admitted", _admitted()),
                    ("pass_expired", rx.text(tr("queue.pass_expired"), id="queue-expired")),
                    ("closed", _closed()),
                    rx.cond(QueueState.error_code == "", rx.spinner()),
                ),
            ),
            role="status", aria_live="polite", custom_attrs={"data-state": QueueState.state}, id="queue-state",
        ),
        title_key="queue.title",
    )
