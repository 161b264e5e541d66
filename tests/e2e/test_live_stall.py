"""A stalled push path blocks nothing (issue 12): pages that never read their socket do not delay UI payments made
over the websocket, and the other open pages still get every new figure.

Raw websocket pages (benchmarks/wsclient.py) against the real app: 20 "stuck" catalogue pages stop reading their
sockets after loading, three of them after asking for ~600 KB of figures each (their socket buffers fill up and
the server's writes to them block), then a visitor buys 10 times through the checkout page's handlers while 3
other catalogue pages watch the seats left.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlmodel import Session

from benchmarks.wsclient import Page
from jo_app.services.accounts import sessions
from jo_app.services.catalog import admin as catalog_admin
from jo_app.services.catalog.admin import EventInput, OfferInput
from jo_app.state.catalog.stock import StockState
from jo_app.state.orders.cart import CartState
from jo_app.state.orders.checkout import CheckoutState
from jo_app.timeutil import utcnow

STOCK, SEATS = StockState.get_full_name(), "seats_left_rx_state_"
CART, CHECKOUT = CartState.get_full_name(), CheckoutState.get_full_name()
FORM = {"holder": "Camille Durand", "card_number": "4242424242424242", "expiry": "12/34", "cvc": "123"}


def test_pages_that_never_read_do_not_delay_payments_or_other_pages(live_app, make_visitor):
    with Session(live_app.engine) as db:
        event_id = catalog_admin.create_event(db, None, EventInput(
            title="Session test blocage", sport="Voile", venue="Marseille", capacity=100,
            starts_at=(utcnow() + timedelta(days=12)).replace(microsecond=0)))
        offer_id = catalog_admin.create_offer(db, None, OfferInput(event_id=event_id, title="Solo", offer_type="solo",
                                                                   price_cents=2000))
    _email, _password, buyer_id = make_visitor()
    with Session(live_app.engine) as db:
        cookie = "jo_session=" + sessions.create_session(db, buyer_id)
    host, port = "127.0.0.1", int(live_app.url.rsplit(":", 1)[1])
    key = str(event_id)

    async def scenario() -> None:
        seen: dict[int, int] = {}

        def watch(page: Page, update: dict) -> None:
            seats = ((update.get("delta") or {}).get(STOCK) or {}).get(SEATS) or {}
            if key in seats:
                seen[id(page)] = seats[key]

        stuck = [Page(host, port, "/billetterie", origin=live_app.url) for _ in range(20)]
        for page in stuck:
            await page.open()
            page._task.cancel()  # never read again
        for page in stuck[:3]:  # and make the server write ~600 KB of figures to each of three of them
            for _ in range(600):
                page.send(f"{STOCK}.refresh")
        watchers = [Page(host, port, "/billetterie", on_update=watch, origin=live_app.url) for _ in range(3)]
        for page in watchers:
            await page.open()
        buyer = Page(host, port, f"/billetterie/{event_id}", cookie=cookie, origin=live_app.url)
        await buyer.open()

        durations = []
        for number in range(1, 11):
            started = time.monotonic()
            added = buyer.expect(lambda u: CART in (u.get("delta") or {}))
            buyer.send(f"{CART}.add", {"offer_id": offer_id, "quantity": 1, "next_path": f"/billetterie/{event_id}"})
            await asyncio.wait_for(added, 15)
            loaded = buyer.expect(lambda u: "lines_rx_state_" in ((u.get("delta") or {}).get(CHECKOUT) or {}))
            buyer.navigate("/paiement")
            await asyncio.wait_for(loaded, 15)
            paid = buyer.expect(lambda u: any(e.get("name") == "_redirect" for e in u.get("events") or ()))
            buyer.send(f"{CHECKOUT}.pay", {"form": FORM})
            await asyncio.wait_for(paid, 15)
            durations.append(time.monotonic() - started)
            buyer.path = f"/billetterie/{event_id}"
            deadline = time.monotonic() + 2.0
            while [seen.get(id(p)) for p in watchers] != [100 - number] * 3:
                assert time.monotonic() < deadline, f"watchers show {[seen.get(id(p)) for p in watchers]}"
                await asyncio.sleep(0.02)
        assert max(durations) < 10.0, durations
        for page in (*stuck, *watchers, buyer):
            await page.close()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API may hold an event loop in this thread
        pool.submit(asyncio.run, scenario()).result()
