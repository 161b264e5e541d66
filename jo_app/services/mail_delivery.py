"""Exactly-once mail delivery for durable jobs: stable Message-IDs and a record of what the SMTP server accepted.

Inside `delivering(job_id, already_sent, on_sent, before_send)`, every message `mail.send_mail` builds gets the
Message-ID `<job-<id>.<n>@domain>` (n-th message of the job, in the order the job's code sends them), a message whose
id is in `already_sent` (accepted in an earlier attempt) is skipped, `before_send()` runs before a message goes out
and `on_sent(message_id)` right after the server accepted one (the worker writes the accepted ids to the job row
before the next message, or with the job's completion). Outside a job nothing changes (fresh random Message-IDs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class _Delivery:
    job_id: int
    already_sent: frozenset[str]
    on_sent: Callable[[str], None]
    before_send: Callable[[], None] | None = None
    count: int = 0
    skipped: list[str] = field(default_factory=list)


_CURRENT: ContextVar[_Delivery | None] = ContextVar("jo_mail_delivery", default=None)


@contextmanager
def delivering(job_id: int, already_sent: Iterable[str], on_sent: Callable[[str], None],
               before_send: Callable[[], None] | None = None) -> Iterator[None]:
    token = _CURRENT.set(_Delivery(job_id, frozenset(already_sent), on_sent, before_send))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def message_id(domain: str) -> str | None:
    """The next stable Message-ID of the current job, or None outside a job."""
    current = _CURRENT.get()
    if current is None:
        return None
    current.count += 1
    return f"<job-{current.job_id}.{current.count}@{domain}>"


def already_sent(message_id_: str) -> bool:
    """Whether the current job's earlier attempt had this message accepted already (then it is not sent again)."""
    current = _CURRENT.get()
    return current is not None and message_id_ in current.already_sent


def sending() -> None:
    """A message of the current job is about to go out (the worker first records the ones accepted before it)."""
    current = _CURRENT.get()
    if current is not None and current.before_send is not None:
        current.before_send()


def accepted(message_id_: str) -> None:
    """The SMTP server (or the outbox folder) accepted `message_id_`."""
    current = _CURRENT.get()
    if current is not None:
        current.on_sent(message_id_)
