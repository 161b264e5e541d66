"""The ids of the mails a job got accepted are written to its row before its next mail goes out, and with its end
(the UPDATE that marks it done or gives it back): not in a statement and commit of their own per mail."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event
from sqlmodel import Session

from jo_app.models import OutboxJob
from jo_app.services import job_handlers, job_worker, jobs, mail
from tests.services.test_mail import settings_env  # noqa: F401  (fixture: a folder of its own for the outbox)
from tests.services.test_outbox import no_in_app_worker  # noqa: F401  (fixture)


def _sent(engine, job_id: int) -> list[str]:
    with Session(engine) as own:
        return json.loads(own.get(OutboxJob, job_id).sent)


@pytest.fixture
def two_mails(session: Session, monkeypatch: pytest.MonkeyPatch, settings_env,  # noqa: F811
              no_in_app_worker: None):  # noqa: F811
    """A job kind sending two mails; records the job row's `sent` seen when each mail is written."""
    engine, seen, fail = session.get_bind(), [], []
    write = mail._write_outbox

    def writing(message):
        seen.append(_sent(engine, int(message.message_id.split(".")[0].removeprefix("<job-"))))
        return write(message)

    def handler(_session: Session, payload: dict) -> None:
        mail.send_mail("a@example.org", "first", "1")
        mail.send_mail("b@example.org", "second", "2")
        if fail:
            raise RuntimeError("after both mails")

    monkeypatch.setattr(mail, "_write_outbox", writing)
    monkeypatch.setitem(job_handlers.HANDLERS, "two_mails", handler)
    monkeypatch.setattr(job_worker, "HANDLERS", job_handlers.HANDLERS)
    job_id = jobs.enqueue(session, "two_mails", {})
    session.commit()
    return engine, job_id, seen, fail


def test_recorded_before_the_next_mail_and_with_the_completion(two_mails) -> None:
    engine, job_id, seen, _fail = two_mails
    updates: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("UPDATE OUTBOX"):
            updates.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert job_worker.run_one(engine, worker="w")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    first, second = f"<job-{job_id}.1@jo-etickets.example>", f"<job-{job_id}.2@jo-etickets.example>"
    assert seen == [[], [first]]  # the first id was in the row before the second mail went out
    assert _sent(engine, job_id) == [first, second]  # the second, with the completion
    assert len(updates) == 3  # claim, the first id, done + the second id (no statement of its own)


def test_a_failing_attempt_keeps_its_accepted_ids(two_mails) -> None:
    engine, job_id, seen, fail = two_mails
    fail.append(True)
    assert job_worker.run_one(engine, worker="w")
    with Session(engine) as own:
        row = own.get(OutboxJob, job_id)
        assert row.status == "pending" and "after both mails" in row.last_error
        assert len(json.loads(row.sent)) == 2  # written by the UPDATE that gave the job back
        row.run_after = row.created_at
        own.commit()
    fail.clear()
    assert job_worker.run_one(engine, worker="w")
    assert len(seen) == 2 and len(mail.read_outbox()) == 2  # the retry sent neither again
    with Session(engine) as own:
        assert own.get(OutboxJob, job_id).status == "done"
