"""The SMTP connection is reused between messages, and a connection the server closed meanwhile is replaced."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from jo_app.services import mail, mail_smtp
from tests.services.test_mail import Collector, free_port, settings_env  # noqa: F401  (fixture)


class Peers(Collector):
    """Also remembers the client's address (host, port) of each message: one port = one connection."""

    def __init__(self) -> None:
        super().__init__()
        self.peers: list = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook name
        self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def fresh_connection() -> Iterator[None]:
    mail_smtp.drop()
    yield
    mail_smtp.drop()


def _serve(settings_env: pytest.MonkeyPatch, port: int | None = None) -> tuple[Controller, Peers]:  # noqa: F811
    peers = Peers()
    controller = Controller(peers, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    settings_env.setenv("SMTP_HOST", "127.0.0.1")
    settings_env.setenv("SMTP_PORT", str(controller.port))
    mail.get_settings.cache_clear()
    return controller, peers


def test_messages_share_one_connection(settings_env: pytest.MonkeyPatch, fresh_connection: None) -> None:  # noqa: F811
    controller, peers = _serve(settings_env)
    try:
        ids = [mail.send_mail("a@example.org", f"n{n}", "x") for n in range(3)]
        assert len(set(ids)) == 3 and len(peers.envelopes) == 3
        assert len(set(peers.peers)) == 1  # one client port: one connection for the three messages
    finally:
        controller.stop()


def test_a_connection_closed_by_the_server_is_replaced(settings_env: pytest.MonkeyPatch,  # noqa: F811
                                                       fresh_connection: None) -> None:
    controller, peers = _serve(settings_env)
    port = controller.port
    mail.send_mail("a@example.org", "before", "x")
    controller.stop()  # the server goes away (restart): the kept connection is dead
    controller, again = _serve(settings_env, port)
    try:
        mail.send_mail("a@example.org", "after", "x")
        assert [m["Subject"] for m in (peers.wait_message(), again.wait_message())] == ["before", "after"]
        assert len(again.envelopes) == 1  # sent once, on a new connection
    finally:
        controller.stop()


def test_idle_connection_is_not_reused(settings_env: pytest.MonkeyPatch, fresh_connection: None,  # noqa: F811
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    controller, peers = _serve(settings_env)
    try:
        mail.send_mail("a@example.org", "one", "x")
        monkeypatch.setattr(mail_smtp, "IDLE_SECONDS", -1.0)
        mail.send_mail("a@example.org", "two", "x")
        assert len(set(peers.peers)) == 2
    finally:
        controller.stop()
