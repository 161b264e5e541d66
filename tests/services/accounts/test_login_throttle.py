"""Attack: lock the owner (an administrator) out of her account with wrong passwords (issue 11 item 6).

Before: five failures locked ANY account for 15 minutes, whoever made them: a targeted denial of service. Now
(services.accounts.login_throttle): the attacker's guesses get growing waits, and the owner on a known device (a valid
device cookie of her account) logs in whatever the attacker did. The attacker "waits" by moving the recorded
attempts back in time by the wait he was given (no real sleeping), so the test runs the attack for real.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import LoginAttempt, Role
from jo_app.services.accounts import device_cookies, login, login_throttle, users
from jo_app.services.errors import AuthenticationError

PASSWORD = "Sprint!Paris2024"
WRONG = "Wrong#Pass123"


def make(session: Session, email: str, role: Role = Role.VISITOR) -> int:
    user = users.create_user(session, email=email, password=PASSWORD, first_name="A", last_name="B", role=role,
                             verified=True)
    session.commit()
    return int(user.id)


def attempt(session: Session, email: str, password: str, ip: str | None, device: str | None = None) -> str:
    """'ok', or the error code (with the wait for locked_out: 'locked_out:<seconds>')."""
    try:
        login.authenticate(session, email=email, password=password, client_ip=ip, device_token=device)
        return "ok"
    except login.LockedOutError as exc:
        return f"locked_out:{exc.retry_after_seconds}"
    except AuthenticationError as exc:
        return exc.code


def wait(session: Session, seconds: int) -> None:
    """Let `seconds` pass for every recorded attempt (dates computed in Python: SQLite has no datetime arithmetic)."""
    for row in session.exec(select(LoginAttempt.id, LoginAttempt.created_at)).all():
        session.execute(update(LoginAttempt).where(LoginAttempt.id == row[0])
                        .values(created_at=row[1] - timedelta(seconds=seconds)))
    session.commit()


def hammer(session: Session, email: str, guesses: int, addresses: int = 5, device: str | None = None) -> list[int]:
    """The attacker makes `guesses` wrong-password attempts, round-robin over `addresses`, waiting whatever he is
    told to; returns the waits he was given, in order."""
    waits = []
    made = 0
    while made < guesses:
        outcome = attempt(session, email, WRONG, f"198.51.100.{made % addresses}", device)
        if outcome.startswith("locked_out:"):
            seconds = int(outcome.split(":")[1])
            waits.append(seconds)
            wait(session, seconds)
            continue
        assert outcome == "invalid_credentials"
        made += 1
    return waits


def test_an_attacker_cannot_lock_the_admin_out_of_her_known_device(session: Session) -> None:
    admin_email = "admin@example.org"
    admin_id = make(session, admin_email, Role.ADMIN)
    device = device_cookies.issue(admin_id)  # what her browser got at her last login (/auth/complete)
    hammer(session, admin_email, guesses=30)
    # Right after the attack, her known device logs in at once (from a new address too).
    assert attempt(session, admin_email, PASSWORD, "203.0.113.50", device) == "ok"
    # She mistypes four times on it: her own budget, untouched by the attacker's 30 failures.
    for _ in range(4):
        assert attempt(session, admin_email, WRONG, "203.0.113.50", device) == "invalid_credentials"
    assert attempt(session, admin_email, PASSWORD, "203.0.113.50", device) == "ok"
    # Meanwhile the attacker, from any address, is refused and told to wait the longest delay.
    outcome = attempt(session, admin_email, PASSWORD, "198.51.100.77")
    assert outcome.startswith("locked_out:") and int(outcome.split(":")[1]) > 60


def test_the_attackers_guesses_get_growing_waits_up_to_the_cap(session: Session) -> None:
    make(session, "victim@example.org")
    waits = hammer(session, "victim@example.org", guesses=25, addresses=25)
    cap = get_settings().lockout_window_seconds
    assert waits[:10] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    assert waits[10:] and set(waits[10:]) == {cap}
    # Guess budget: 2 T free + one per wait; per day at the cap: 86400 / W.
    assert sum(waits) < 24 * 3600 and 86400 // cap == 96


def test_one_address_is_slowed_after_t_failures_on_an_account(session: Session) -> None:
    make(session, "victim@example.org")
    waits = hammer(session, "victim@example.org", guesses=8, addresses=1)
    # T = 5 free; the per-address limit then holds the address for W; after that the (account, address) scope
    # still remembers its failures and keeps doubling.
    assert waits == [get_settings().lockout_window_seconds, 2, 4]
    # Another address is not slowed yet (the account scope allows 2 T).
    assert attempt(session, "victim@example.org", PASSWORD, "203.0.113.9") == "ok"


def test_an_untrusted_owner_is_slowed_but_never_locked(session: Session) -> None:
    make(session, "victim@example.org")
    hammer(session, "victim@example.org", guesses=30, addresses=30)
    outcome = attempt(session, "victim@example.org", PASSWORD, "203.0.113.9")
    seconds = int(outcome.split(":")[1])
    assert outcome.startswith("locked_out:") and seconds <= get_settings().lockout_window_seconds
    wait(session, seconds)
    assert attempt(session, "victim@example.org", PASSWORD, "203.0.113.9") == "ok"


@pytest.mark.parametrize("kind", ["other_account", "forged", "expired"])
def test_only_a_genuine_device_cookie_of_the_account_counts(session: Session, kind: str) -> None:
    victim = make(session, "victim@example.org")
    attacker = make(session, "attacker@example.org")
    token = {
        "other_account": device_cookies.issue(attacker),
        "forged": device_cookies.issue(victim)[:-3] + "AAA",
        "expired": device_cookies.issue(victim, now=0),
    }[kind]
    assert device_cookies.device_for(token, victim) is None
    hammer(session, "victim@example.org", guesses=12)
    assert attempt(session, "victim@example.org", PASSWORD, "198.51.100.1", token).startswith("locked_out:")


def test_a_known_device_has_its_own_growing_waits(session: Session) -> None:
    user = make(session, "victim@example.org")
    device = device_cookies.issue(user)
    waits = hammer(session, "victim@example.org", guesses=8, addresses=8, device=device)
    assert waits == [1, 2, 4]
    # ... which do not touch untrusted clients' scopes.
    assert attempt(session, "victim@example.org", PASSWORD, "203.0.113.9") == "ok"


def test_the_per_address_limit_is_kept(session: Session) -> None:
    make(session, "owner@example.org")
    for i in range(get_settings().lockout_threshold):
        assert attempt(session, f"victim{i}@example.org", WRONG, "203.0.113.7") == "invalid_credentials"
    assert attempt(session, "owner@example.org", PASSWORD, "203.0.113.7").startswith("locked_out:")
    assert attempt(session, "owner@example.org", PASSWORD, "198.51.100.1") == "ok"


def test_growing_wait_formula() -> None:
    assert [login_throttle.growing_wait(n, 5, 900) for n in (0, 4, 5, 6, 9, 14, 15, 63)] == \
        [0, 0, 1, 2, 16, 512, 900, 900]
