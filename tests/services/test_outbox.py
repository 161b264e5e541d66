"""Domain events and the durable outbox, on SQLite and PostgreSQL: a paid order queues its confirmation mail in
the same transaction and announces `OrderPlaced` only once it committed; a refused one leaves neither; a failing
subscriber breaks nothing; a retried job never re-sends a mail the server accepted."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import Lang, OutboxJob, User
from jo_app.services import events, job_worker, jobs, mail
from jo_app.services.orders import direct_order
from jo_app.services.payment import PaymentCard, PaymentDeclinedError
from jo_app.timeutil import utcnow
from tests.factories import make_event, make_offer, make_user

GOOD = PaymentCard("4242 4242 4242 4242", 12, utcnow().year + 2, "123", "Ada Lovelace")
DECLINED = PaymentCard("4000 0000 0000 0002", 12, utcnow().year + 2, "123", "Ada Lovelace")


@pytest.fixture
def no_in_app_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test runs the worker itself (the app's in-process worker would race it)."""
    monkeypatch.setenv("JOBS_IN_APP", "0")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def seen() -> Iterator[list]:
    """OrderPlaced events delivered to a subscriber (and one subscriber that always fails, before it)."""
    delivered: list = []

    def broken(_event) -> None:
        raise RuntimeError("subscriber bug")

    def collect(event) -> None:
        delivered.append(event)

    events.subscribe(events.OrderPlaced, broken)
    events.subscribe(events.OrderPlaced, collect)
    yield delivered
    with events._lock:
        for handler in (broken, collect):
            events._subscribers[events.OrderPlaced].remove(handler)


def _shop(session: Session) -> tuple[int, int, str]:
    user = make_user(session, first_name="Ada", last_name="Lovelace")
    offer = make_offer(session, make_event(session, capacity=10), price_cents=5000)
    session.commit()
    return int(user.id), int(offer.id), user.email


def _mails_to(address: str) -> list:
    return [m for m in mail.read_outbox() if str(m["To"]) == address]


def test_order_queues_its_mail_and_announces_only_after_commit(session: Session, seen: list,
                                                               no_in_app_worker: None) -> None:
    user_id, offer_id, email = _shop(session)
    with pytest.raises(PaymentDeclinedError):
        direct_order.checkout_items(session, user_id, [(offer_id, 1)], DECLINED, idempotency_key="k-declined")
    assert events.wait_idle() and seen == []  # rolled back: no event
    assert session.exec(select(OutboxJob)).all() == []  # and no job

    session.get(User, user_id).lang = Lang.EN  # the buyer's stored language, read when the mail is sent
    session.commit()
    result = direct_order.checkout_items(session, user_id, [(offer_id, 2)], GOOD, idempotency_key="k-1")
    assert events.wait_idle()
    assert [(e.order_id, e.reference, e.tickets) for e in seen] == [(result.order_id, result.reference, 2)]
    job = session.exec(select(OutboxJob)).one()  # committed with the order
    assert (job.kind, job.status) == (jobs.ORDER_CONFIRMATION, "pending")
    assert json.loads(job.payload)["reference"] == result.reference and "lang" not in json.loads(job.payload)
    replay = direct_order.checkout_items(session, user_id, [(offer_id, 2)], GOOD, idempotency_key="k-1")
    assert not replay.created and len(session.exec(select(OutboxJob)).all()) == 1  # a replay queues nothing

    assert job_worker.run_pending(session.get_bind()) == 1
    sent = _mails_to(email)
    assert len(sent) == 1 and result.reference in str(sent[0]["Subject"]) and "Order" in str(sent[0]["Subject"])
    assert str(sent[0]["Message-ID"]).startswith(f"<job-{job.id}.1@")
    session.expire_all()
    assert session.get(OutboxJob, job.id).status == "done"
    assert job_worker.run_pending(session.get_bind()) == 0 and len(_mails_to(email)) == 1


def test_no_mail_requested_queues_no_job(session: Session, no_in_app_worker: None) -> None:
    user_id, offer_id, _email = _shop(session)
    direct_order.checkout_items(session, user_id, [(offer_id, 1)], GOOD, idempotency_key="k-2",
                                confirmation_mail=False)
    assert session.exec(select(OutboxJob)).all() == []


def test_a_retry_skips_the_mail_the_server_already_accepted(session: Session, no_in_app_worker: None) -> None:
    """The worker died after the server accepted the mail and after it recorded so, before marking the job done:
    the next worker finishes the job without sending it again."""
    user_id, offer_id, email = _shop(session)
    direct_order.checkout_items(session, user_id, [(offer_id, 1)], GOOD, idempotency_key="k-3")
    engine = session.get_bind()
    with Session(engine) as own:
        dead = jobs.claim(own, "dead-worker", lease_seconds=0)  # its lease is over at once
    with Session(engine) as own:
        assert jobs.record_sent(own, dead, f"<job-{dead.id}.1@jo-etickets.example>")
    assert job_worker.run_pending(engine) == 1
    assert _mails_to(email) == []
    session.expire_all()
    job = session.get(OutboxJob, dead.id)
    assert (job.status, job.attempts) == ("done", 2)


def test_a_failing_job_is_retried_later_then_given_up(session: Session, no_in_app_worker: None) -> None:
    jobs.enqueue(session, "no_such_kind", {})
    session.commit()
    engine = session.get_bind()
    assert job_worker.run_pending(engine) == 1
    job = session.exec(select(OutboxJob)).one()
    assert (job.status, job.attempts) == ("pending", 1) and "no_such_kind" in job.last_error
    assert job.run_after > utcnow()  # backoff: not runnable again at once
    assert job_worker.run_pending(engine) == 0


def test_a_slow_subscriber_does_not_delay_the_commit(session: Session, no_in_app_worker: None) -> None:
    release = threading.Event()
    events.subscribe(events.OrderPlaced, lambda _e: release.wait(10))
    try:
        user_id, offer_id, _email = _shop(session)
        result = direct_order.checkout_items(session, user_id, [(offer_id, 1)], GOOD, idempotency_key="k-4")
        assert result.created and not release.is_set()  # returned while the subscriber still waits
    finally:
        release.set()
        assert events.wait_idle()
        with events._lock:
            events._subscribers[events.OrderPlaced].pop()


def test_events_of_a_closed_or_savepoint_only_transaction_are_not_delivered(engine, seen: list) -> None:
    """Only the outermost COMMIT delivers: a session closed without committing, or a released SAVEPOINT whose
    outer transaction then rolls back, announce nothing."""
    event = events.OrderPlaced(1, "JO24-TEST-0001", 1, 100, 1)
    with Session(engine) as session:
        session.connection()
        events.announce(session, event)
    with Session(engine) as session:
        session.connection()
        savepoint = session.begin_nested()
        events.announce(session, event)
        savepoint.commit()
        session.rollback()
    assert events.wait_idle() and seen == []
    with Session(engine) as session:
        session.connection()
        savepoint = session.begin_nested()
        events.announce(session, event)
        savepoint.commit()
        session.commit()
    assert events.wait_idle() and seen == [event]


def test_racing_workers_never_claim_the_same_job(pg_engine) -> None:
    """Eight workers claiming at once on PostgreSQL (FOR UPDATE SKIP LOCKED): every job goes to exactly one."""
    from tests.races import race

    with Session(pg_engine) as session:
        for index in range(24):
            jobs.enqueue(session, "no_such_kind", {"n": index})
        session.commit()

    def drain(name: str):
        def job(session: Session) -> list[int]:
            taken = []
            while (claimed := jobs.claim(session, name, lease_seconds=60)) is not None:
                taken.append(claimed.id)
            return taken
        return job

    results = race(pg_engine, [drain(f"w{i}") for i in range(8)], connect_first=True)
    claimed = [job_id for taken in results for job_id in taken]
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 24


def test_record_sent_keeps_every_id_of_the_attempt(session: Session, no_in_app_worker: None) -> None:
    """One UPDATE per accepted message: the claimed ids, the attempt's earlier ones and the new one; not once the
    lease passed to another worker."""
    jobs.enqueue(session, "no_such_kind", {})
    session.commit()
    engine = session.get_bind()
    with Session(engine) as own:
        job = jobs.claim(own, "w1", lease_seconds=60)
    with Session(engine) as own:
        assert jobs.record_sent(own, job, "<a>") and jobs.record_sent(own, job, "<b>", earlier=["<a>"])
    session.expire_all()
    assert json.loads(session.get(OutboxJob, job.id).sent) == ["<a>", "<b>"]
    session.execute(update(OutboxJob).where(OutboxJob.id == job.id).values(locked_by="w2"))
    session.commit()
    with Session(engine) as own:
        assert not jobs.record_sent(own, job, "<c>", earlier=["<a>", "<b>"])
    session.expire_all()
    assert json.loads(session.get(OutboxJob, job.id).sent) == ["<a>", "<b>"]
