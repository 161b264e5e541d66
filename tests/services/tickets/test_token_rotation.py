"""Refresh-token rotation with reuse detection (the REST API's refresh tokens are session tokens)."""

from __future__ import annotations

import threading

from sqlmodel import Session

from jo_app.services.accounts import sessions, users

PASSWORD = "Sprint!Paris2024"


def _token(session: Session) -> tuple[int, str]:
    user = users.create_user(session, email="rotate@example.org", password=PASSWORD, first_name="A",
                             last_name="B", verified=True)
    session.commit()
    return user.id, sessions.create_session(session, user.id)


def test_rotation_spends_the_old_token_and_keeps_the_session(session: Session) -> None:
    user_id, first = _token(session)
    rotated = sessions.rotate_token(session, first)
    assert rotated is not None
    second, info = rotated
    assert second != first and info.user_id == user_id
    assert sessions.resolve_session(session, first) is None
    assert sessions.resolve_session(session, second).session_id == info.session_id
    third, _ = sessions.rotate_token(session, second)
    assert sessions.resolve_session(session, third) is not None


def test_reusing_a_spent_token_revokes_the_session(session: Session) -> None:
    _user_id, first = _token(session)
    second, _ = sessions.rotate_token(session, first)
    assert sessions.rotate_token(session, first) is None  # a copy of the old token shows up: theft
    assert sessions.resolve_session(session, second) is None  # so the legitimate holder is logged out too
    assert sessions.rotate_token(session, second) is None


def test_revoking_with_a_spent_token_still_logs_the_session_out(session: Session) -> None:
    _user_id, first = _token(session)
    second, _ = sessions.rotate_token(session, first)
    sessions.revoke_session(session, first)
    assert sessions.resolve_session(session, second) is None


def test_concurrent_rotations_of_one_token_have_one_winner(pg_engine) -> None:
    with Session(pg_engine) as session:
        _user_id, token = _token(session)
    threads, barrier, results, lock = 8, threading.Barrier(8), [], threading.Lock()

    def worker() -> None:
        with Session(pg_engine) as session:
            barrier.wait()
            outcome = sessions.rotate_token(session, token)
        with lock:
            results.append(outcome)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    winners = [r for r in results if r is not None]
    assert len(results) == threads and len(winners) == 1
