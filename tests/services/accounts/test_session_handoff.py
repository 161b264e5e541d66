"""One-time login hand-off: the code carries a session token once, within 60 s, even under races, and only to
the browser whose pre-login cookie it was minted for."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from jo_app.models import LoginHandoff
from jo_app.services.accounts import session_handoff
from jo_app.services.accounts.session_handoff import ForeignHandoffError
from jo_app.services.keys import hash_token
from jo_app.timeutil import utcnow

# Fixed values (not drawn at collection: pytest-xdist workers must collect the same parameters).
BROWSER = "Wrh_CP4j0I2BmGUeK2a-1EoE-lTclTrRCyDZAsO5V8s"
OTHER_BROWSER = "oKs4lK456V02K2hxEiVaFcjt-1eZZPa03X9XX4y67rg"


def test_code_gives_the_token_once(session: Session) -> None:
    code = session_handoff.create_handoff(session, "tok-123", browser_nonce=BROWSER)
    assert len(code) >= 40
    assert session_handoff.consume_handoff(session, code, BROWSER) == "tok-123"
    assert session_handoff.consume_handoff(session, code, BROWSER) is None


def test_nothing_readable_is_stored(session: Session) -> None:
    code = session_handoff.create_handoff(session, "secret-session-token", browser_nonce=BROWSER)
    row = session.exec(select(LoginHandoff)).one()
    assert code not in row.code_hash and row.code_hash != hash_token(code)
    assert "secret-session-token" not in row.session_token_encrypted
    assert row.expires_at - row.created_at == timedelta(seconds=60)


def test_unknown_empty_or_oversized_codes_give_nothing(session: Session) -> None:
    session_handoff.create_handoff(session, "tok", browser_nonce=BROWSER)
    for code in (None, "", "nope", "x" * 500):
        assert session_handoff.consume_handoff(session, code, BROWSER) is None


def test_expired_code_gives_nothing(session: Session, monkeypatch) -> None:
    code = session_handoff.create_handoff(session, "tok", browser_nonce=BROWSER)
    later = utcnow() + timedelta(seconds=61)
    monkeypatch.setattr(session_handoff, "utcnow", lambda: later)
    assert session_handoff.consume_handoff(session, code, BROWSER) is None


def test_tampered_ciphertext_is_refused(session: Session) -> None:
    code = session_handoff.create_handoff(session, "tok", browser_nonce=BROWSER)
    row = session.exec(select(LoginHandoff)).one()
    blob = bytearray(row.session_token_encrypted.encode())
    blob[20] = ord("A") if blob[20] != ord("A") else ord("B")  # a character inside the ciphertext
    row.session_token_encrypted = blob.decode()
    session.add(row)
    session.commit()
    with pytest.raises(ForeignHandoffError):
        session_handoff.consume_handoff(session, code, BROWSER)


def test_ciphertext_is_bound_to_its_code(session: Session) -> None:
    """Swapping two rows' ciphertexts does not let one code unlock the other token (AAD = code hash)."""
    code_a = session_handoff.create_handoff(session, "token-a", browser_nonce=BROWSER)
    code_b = session_handoff.create_handoff(session, "token-b", browser_nonce=BROWSER)
    rows = {r.session_token_encrypted: r for r in session.exec(select(LoginHandoff)).all()}
    a, b = list(rows.values())
    a.session_token_encrypted, b.session_token_encrypted = b.session_token_encrypted, a.session_token_encrypted
    session.add_all([a, b])
    session.commit()
    for code in (code_a, code_b):
        with pytest.raises(ForeignHandoffError):
            session_handoff.consume_handoff(session, code, BROWSER)


def test_spent_and_expired_rows_are_purged(session: Session, monkeypatch) -> None:
    used = session_handoff.create_handoff(session, "one", browser_nonce=BROWSER)
    session_handoff.consume_handoff(session, used, BROWSER)
    session_handoff.create_handoff(session, "two", browser_nonce=BROWSER)
    later = utcnow() + timedelta(seconds=120)
    monkeypatch.setattr(session_handoff, "utcnow", lambda: later)
    session_handoff.create_handoff(session, "three", browser_nonce=BROWSER)
    assert len(session.exec(select(LoginHandoff)).all()) == 1


def test_concurrent_consumers_get_the_token_exactly_once(pg_engine) -> None:
    with Session(pg_engine) as s:
        code = session_handoff.create_handoff(s, "raced-token", browser_nonce=BROWSER)
    barrier = threading.Barrier(8)
    results: list[str | None] = []
    lock = threading.Lock()

    def consume() -> None:
        with Session(pg_engine) as s:
            barrier.wait()
            got = session_handoff.consume_handoff(s, code, BROWSER)
        with lock:
            results.append(got)

    threads = [threading.Thread(target=consume) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 8
    assert results.count("raced-token") == 1
    assert results.count(None) == 7


@pytest.mark.parametrize("presented", [None, "", "short", OTHER_BROWSER, BROWSER + "x", BROWSER.upper()])
def test_code_opened_in_another_browser_is_refused_and_spent(session: Session, presented: str | None) -> None:
    """Login CSRF: the attacker's code (minted for his browser) opened in the victim's browser, which has another
    pre-login cookie or none, gives nothing, and the code cannot be used afterwards either."""
    code = session_handoff.create_handoff(session, "attacker-session", browser_nonce=BROWSER)
    with pytest.raises(ForeignHandoffError):
        session_handoff.consume_handoff(session, code, presented)
    assert session_handoff.consume_handoff(session, code, BROWSER) is None


@pytest.mark.parametrize("nonce", [None, "", "short", "x" * 200, "é" * 40])
def test_a_code_needs_a_well_formed_browser_nonce(session: Session, nonce: str | None) -> None:
    with pytest.raises(ValueError):
        session_handoff.create_handoff(session, "tok", browser_nonce=nonce)
