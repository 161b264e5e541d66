"""Sign-up keeps the intent (issue 13 item 6) at the handler level: the verification code opens a session through
the login hand-off (never for a 2FA or locked account), and a remembered "add to cart" is parsed strictly."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from jo_app.models import EmailCodePurpose
from jo_app.services.accounts import email_codes, session_handoff, sessions, users
from jo_app.services.errors import DomainError
from jo_app.state.accounts.register import _verify_and_login
from jo_app.state.catalog.shop import PENDING_ADD_TTL_SECONDS, parse_pending_add

PASSWORD = "Piste!Verte2024"


def _unverified(session: Session, email: str, **fields) -> tuple[int, str]:
    user = users.create_user(session, email=email, password=PASSWORD, first_name="Zoé", last_name="Petit",
                             verified=False)
    for name, value in fields.items():
        setattr(user, name, value)
    session.add(user)
    code = email_codes.issue_email_code(session, user.id, EmailCodePurpose.VERIFY_EMAIL)
    session.commit()
    return int(user.id), code


def test_the_code_logs_the_owner_in_through_the_hand_off(session: Session) -> None:
    user_id, code = _unverified(session, "zoe@example.org")
    nonce = session_handoff.new_prelogin_nonce()
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(DomainError):
        _verify_and_login(session, "zoe@example.org", wrong, "127.0.0.1", "t", nonce)
    handoff = _verify_and_login(session, "zoe@example.org", code, "127.0.0.1", "test", nonce)
    assert handoff is not None
    token = session_handoff.consume_handoff(session, handoff, nonce)  # bound to this browser, like the login's
    info = sessions.resolve_session(session, token)
    assert info is not None and info.user_id == user_id and info.is_verified
    assert session_handoff.consume_handoff(session, handoff, nonce) is None  # one use
    with pytest.raises(DomainError):  # the code is spent too
        _verify_and_login(session, "zoe@example.org", code, "127.0.0.1", "test", nonce)


def test_the_hand_off_works_only_in_the_browser_that_verified(session: Session) -> None:
    _user_id, code = _unverified(session, "lou@example.org")
    handoff = _verify_and_login(session, "lou@example.org", code, None, None, session_handoff.new_prelogin_nonce())
    with pytest.raises(session_handoff.ForeignHandoffError):
        session_handoff.consume_handoff(session, handoff, session_handoff.new_prelogin_nonce())


@pytest.mark.parametrize("fields", [{"totp_enabled": True}, {"is_locked": True}])
def test_no_session_for_2fa_or_locked_accounts(session: Session, fields: dict) -> None:
    _user_id, code = _unverified(session, "guarded@example.org", **fields)
    assert _verify_and_login(session, "guarded@example.org", code, None, None,
                             session_handoff.new_prelogin_nonce()) is None
    assert users.get_user(session, _user_id).is_verified  # verified all the same


def test_pending_add_is_parsed_strictly() -> None:
    now = 1_800_000_000
    assert parse_pending_add(f"12:34:2:{now - 60}", now) == (12, "34", 2)
    for bad in ("", "12:34:2", f"12:x:2:{now}", f"12:34:2:{now - PENDING_ADD_TTL_SECONDS - 1}", f"12:34:2:{now + 5}",
                f"1:2:3:4:{now}", "<script>:1:1:1"):
        assert parse_pending_add(bad, now) is None, bad
