"""Virtual waiting room: fair draw at opening, arrival order after, admission rate, pause, passes, and no purchase
of a queued event without a valid pass (SQLite and PostgreSQL; the join/opening race on PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jo_app.db import make_engine
from jo_app.models import QueueEntry
from jo_app.services.errors import PermissionDeniedError, ValidationError
from jo_app.services.orders import cart, checkout, direct_order, onsales, queue_pass, waiting_room
from jo_app.services.orders.onsales import OnSaleInput
from jo_app.services.payment import PaymentCard
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_user

GOOD = PaymentCard("4242 4242 4242 4242", 12, utcnow().year + 2, "123", "Ada Lovelace")
T0 = utcnow().replace(microsecond=0) + timedelta(hours=1)  # the opening


@pytest.fixture
def onsale(session: Session) -> dict:
    event = make_event(session, title="Cérémonie d'ouverture", capacity=100, starts_at=T0 + timedelta(days=5))
    free_event = make_event(session, title="Tir à l'arc", capacity=100, starts_at=T0 + timedelta(days=5))
    data = {"event": event, "offer": make_offer(session, event, offer_type="solo"),
            "free_offer": make_offer(session, free_event, offer_type="solo")}
    session.commit()
    data["id"] = onsales.create_onsale(session, None, OnSaleInput(
        name="Ouverture", opens_at=T0, rate_per_minute=60, pass_minutes=10, event_ids=(event.id,)))
    return data


def users(session: Session, n: int) -> list[int]:
    made = [make_user(session) for _ in range(n)]
    session.commit()
    return [u.id for u in made]


def test_early_visitors_get_a_random_permutation_then_arrival_order(session: Session, onsale: dict) -> None:
    early = users(session, 60)
    for i, uid in enumerate(early):
        status = waiting_room.join(session, uid, onsale["id"], now=T0 - timedelta(minutes=30) + timedelta(seconds=i))
        assert status.state == "before_opening" and status.position is None
    assert not waiting_room.open_if_due(session, onsale["id"], now=T0 - timedelta(seconds=1))
    assert waiting_room.open_if_due(session, onsale["id"], now=T0)
    assert not waiting_room.open_if_due(session, onsale["id"], now=T0 + timedelta(seconds=5))  # once
    positions = [waiting_room.status(session, uid, onsale["id"], now=T0).position for uid in early]
    assert sorted(positions) == list(range(1, 61))  # a permutation: everyone has exactly one place
    assert positions != list(range(1, 61))  # not the arrival order (probability 1/60! of a false failure)
    # the draw does not favour early arrivals: first half of arrivals is not the first half of places
    assert sum(p <= 30 for p in positions[:30]) < 30
    late = users(session, 3)
    places = [waiting_room.join(session, uid, onsale["id"], now=T0 + timedelta(seconds=10 + i)).position
              for i, uid in enumerate(late)]
    assert places == [61, 62, 63]


def test_one_place_per_account(session: Session, onsale: dict) -> None:
    (uid,) = users(session, 1)
    waiting_room.open_if_due(session, onsale["id"], now=T0)
    first = waiting_room.join(session, uid, onsale["id"], now=T0 + timedelta(seconds=1))
    again = waiting_room.join(session, uid, onsale["id"], now=T0 + timedelta(seconds=2))  # second tab or device
    assert first.position == again.position == 1
    assert len(session.exec(select(QueueEntry).where(QueueEntry.user_id == uid)).all()) == 1


def test_admission_rate_pause_resume_and_live_rate_change(session: Session, onsale: dict) -> None:
    visitors = users(session, 30)
    waiting_room.tick(session, onsale["id"], now=T0)  # opens (nobody waiting yet)
    for i, uid in enumerate(visitors):
        waiting_room.join(session, uid, onsale["id"], now=T0 + timedelta(milliseconds=i))
    figures = waiting_room.tick(session, onsale["id"], now=T0 + timedelta(seconds=10))  # 60/min -> 10 in 10 s
    assert (figures.admitted, figures.waiting) == (10, 20) and figures.drain_seconds == 20
    status = waiting_room.status(session, visitors[15], onsale["id"], now=T0 + timedelta(seconds=10))
    assert status.state == "waiting" and status.ahead == 5 and status.estimated_wait_seconds == 6
    onsales.set_paused(session, None, onsale["id"], True)
    assert waiting_room.tick(session, onsale["id"], now=T0 + timedelta(seconds=40)).admitted == 10
    assert waiting_room.status(session, visitors[15], onsale["id"]).estimated_wait_seconds is None
    onsales.set_paused(session, None, onsale["id"], False)
    onsales.set_rate(session, None, onsale["id"], 30)  # paused time earned nothing; now 1 every 2 s
    assert waiting_room.tick(session, onsale["id"], now=T0 + timedelta(seconds=45)).admitted == 12
    assert waiting_room.tick(session, onsale["id"], now=T0 + timedelta(seconds=46)).admitted == 13  # credit kept
    with pytest.raises(ValidationError):
        onsales.set_rate(session, None, onsale["id"], 0)


def test_a_pause_or_rate_change_settles_what_was_earned_without_a_tick(session: Session, onsale: dict) -> None:
    """The time before an admin's change earns at the settings that held during it, even when no tick ran (a busy
    server): a pause keeps the admissions of the seconds before it, a new rate does not apply to the past."""
    visitors = users(session, 40)
    waiting_room.tick(session, onsale["id"], now=T0)
    for i, uid in enumerate(visitors):
        waiting_room.join(session, uid, onsale["id"], now=T0 + timedelta(milliseconds=i))
    onsales.set_paused(session, None, onsale["id"], True, now=T0 + timedelta(seconds=10))  # no tick in 10 s
    assert waiting_room.tick(session, onsale["id"], now=T0 + timedelta(seconds=60)).admitted == 10  # 60/min
    onsales.set_paused(session, None, onsale["id"], False, now=T0 + timedelta(seconds=90))  # paused: nothing
    assert waiting_room.tick(session, onsale["id"], now=T0 + timedelta(seconds=90)).admitted == 10
    onsales.set_rate(session, None, onsale["id"], 600, now=T0 + timedelta(seconds=95))  # 5 s at 60/min first
    assert waiting_room.tick(session, onsale["id"], now=T0 + timedelta(seconds=95)).admitted == 15
    assert waiting_room.tick(session, onsale["id"], now=T0 + timedelta(seconds=96)).admitted == 25  # then 10/s


def test_pass_is_signed_account_bound_and_time_limited(session: Session, onsale: dict) -> None:
    a, b = users(session, 2)
    waiting_room.join(session, a, onsale["id"], now=T0 - timedelta(minutes=1))
    waiting_room.tick(session, onsale["id"], now=T0)
    waiting_room.tick(session, onsale["id"], now=T0 + timedelta(seconds=2))
    status = waiting_room.status(session, a, onsale["id"], now=T0 + timedelta(seconds=3))
    assert status.state == "admitted" and status.pass_expires_at == T0 + timedelta(seconds=3, minutes=10)
    token = status.pass_token
    now = T0 + timedelta(minutes=5)
    assert queue_pass.is_valid(token, onsale["id"], a, now)
    assert not queue_pass.is_valid(token, onsale["id"], b, now)  # bound to the account
    assert not queue_pass.is_valid(token, onsale["id"] + 1, a, now)  # and to the on-sale
    forged = token.split(".")
    assert not queue_pass.is_valid(".".join([forged[0], str(b), *forged[2:]]), onsale["id"], b, now)
    assert not queue_pass.is_valid(token[:-2] + "xx", onsale["id"], a, now)
    assert not queue_pass.is_valid(token, onsale["id"], a, T0 + timedelta(minutes=11))  # expired
    assert waiting_room.status(session, a, onsale["id"], now=T0 + timedelta(minutes=11)).state == "pass_expired"
    # Asking again does not renew it: admission time is recorded once.
    again = waiting_room.status(session, a, onsale["id"], now=T0 + timedelta(minutes=1))
    assert again.pass_expires_at == status.pass_expires_at


def test_no_purchase_of_a_queued_event_without_a_pass(session: Session, onsale: dict) -> None:
    a, b = users(session, 2)
    with pytest.raises(PermissionDeniedError) as err:
        cart.add_item(session, a, onsale["offer"].id)
    assert err.value.code == "queue_pass_required"
    cart.add_item(session, a, onsale["free_offer"].id)  # other events sell freely
    with pytest.raises(PermissionDeniedError):
        direct_order.checkout_items(session, a, [(onsale["offer"].id, 1)], GOOD, idempotency_key="d")
    waiting_room.join(session, a, onsale["id"], now=T0 - timedelta(minutes=1))
    waiting_room.tick(session, onsale["id"], now=T0)
    waiting_room.tick(session, onsale["id"], now=T0 + timedelta(seconds=1))
    token = waiting_room.status(session, a, onsale["id"], now=T0 + timedelta(seconds=1)).pass_token
    with pytest.raises(PermissionDeniedError):  # someone else's pass is worth nothing
        cart.add_item(session, b, onsale["offer"].id, queue_pass=token)
    cart.add_item(session, a, onsale["offer"].id, 2, queue_pass=token)
    with pytest.raises(PermissionDeniedError):  # paying needs the pass too (a cart filled then the pass lost)
        checkout.checkout(session, a, GOOD, idempotency_key="k")
    cart.set_quantity(session, a, onsale["offer"].id, 1)  # fewer packs never need a pass
    result = checkout.checkout(session, a, GOOD, idempotency_key="k", queue_pass=[token])
    assert result.created
    onsales.close(session, None, onsale["id"])  # queuing over: free sale
    cart.add_item(session, b, onsale["offer"].id)


def test_joins_racing_the_opening_all_get_distinct_places(pg_engine: Engine) -> None:
    with Session(pg_engine) as session:
        event = make_event(session, capacity=10, starts_at=T0 + timedelta(days=2))
        session.commit()
        onsale_id = onsales.create_onsale(session, None, OnSaleInput(
            name="Race", opens_at=utcnow() - timedelta(seconds=1), rate_per_minute=10, event_ids=(event.id,)))
        visitors = users(session, 40)
    engine = make_engine(pg_engine.url.render_as_string(hide_password=False), pool_size=45, max_overflow=0)
    barrier = threading.Barrier(41)
    errors: list[Exception] = []

    def run(job) -> None:
        with Session(engine) as s:
            barrier.wait(timeout=60)
            try:
                job(s)
            except Exception as exc:  # reported below
                errors.append(exc)

    jobs = [lambda s, u=u: waiting_room.join(s, u, onsale_id) for u in visitors]
    jobs.append(lambda s: waiting_room.open_if_due(s, onsale_id))
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    engine.dispose()
    assert not errors, errors[:3]
    with Session(pg_engine) as session:
        positions = session.exec(select(QueueEntry.position).where(QueueEntry.onsale_id == onsale_id)).all()
    assert sorted(positions) == list(range(1, 41))


def test_polls_tick_at_most_once_a_second(session: Session, onsale: dict) -> None:
    visitors = users(session, 5)
    waiting_room.tick_if_stale(session, onsale["id"], now=T0 - timedelta(seconds=1))  # not due: nothing happens
    assert onsales.figures(session, onsale["id"]).opened is False
    waiting_room.tick_if_stale(session, onsale["id"], now=T0)  # due: opens
    for uid in visitors:
        waiting_room.join(session, uid, onsale["id"], now=T0)
    waiting_room.tick_if_stale(session, onsale["id"], now=T0 + timedelta(seconds=0.5))  # too soon: no tick
    assert onsales.figures(session, onsale["id"]).admitted == 0
    waiting_room.tick_if_stale(session, onsale["id"], now=T0 + timedelta(seconds=3))  # 60/min x 3 s
    assert onsales.figures(session, onsale["id"]).admitted == 3
