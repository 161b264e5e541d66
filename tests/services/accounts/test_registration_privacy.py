"""Sign-up never reveals whether an address already has an account (account enumeration, OWASP ASVS 2.x): same
result, same validation, the bcrypt cost paid anyway; the existing account is left untouched and its owner is told by
e-mail (real SMTP server on loopback), at most once per EXISTING_EMAIL_NOTICE_INTERVAL."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import AuditLog, Consent, EmailCode, LoginAttempt, User, UserSession
from jo_app.services.accounts import email_codes, login, user_lang, users
from jo_app.services.accounts.email_codes import INVALID_CODE_MESSAGE
from jo_app.services.accounts.passwords import hash_password, verify_password
from jo_app.services.errors import AuthenticationError, DomainError, ValidationError
from tests.mail_codes import code_in, other_code
from tests.smtp_capture import SmtpCollector, smtp_capture

PASSWORD = "Sprint!Paris2024"
INTRUDER_PASSWORD = "Relay#Marseille7"
OWNER = "camille@example.org"
ACTION = users.EXISTING_EMAIL_ACTION


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch, tmp_path, engine) -> Iterator[SmtpCollector]:
    monkeypatch.setenv("APP_URL", "https://tickets.example")
    with smtp_capture(monkeypatch, tmp_path / "outbox", engine) as collector:
        yield collector


def make_owner(session: Session, *, verified: bool = True) -> User:
    user = users.create_user(session, email=OWNER, password=PASSWORD, first_name="Camille", last_name="Durand",
                             verified=verified)
    session.commit()
    return user


def sign_up(session: Session, email: str, **overrides) -> users.RegistrationResult:
    data = {"password": INTRUDER_PASSWORD, "first_name": "Mallory", "last_name": "Intrus", "consent": True} | overrides
    return users.register(session, email=email, **data)


def snapshot(session: Session, user_id: int) -> dict:
    """Everything stored about one account that a sign-up could change."""
    user = session.get(User, user_id, populate_existing=True)
    return {
        "user": user.model_dump(),
        "codes": [c.model_dump() for c in session.exec(select(EmailCode).where(EmailCode.user_id == user_id))],
        "consents": [c.model_dump() for c in session.exec(select(Consent).where(Consent.user_id == user_id))],
        "sessions": [s.model_dump() for s in session.exec(select(UserSession).where(UserSession.user_id == user_id))],
    }


def attempts_logged(session: Session) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).where(AuditLog.action == ACTION).order_by(AuditLog.id)).all())


def count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_taken_address_gives_the_same_kind_of_result_and_leaves_the_account_untouched(session: Session) -> None:
    owner = make_owner(session)
    before = snapshot(session, owner.id)
    fresh = sign_up(session, "new.fan@example.org")
    taken = sign_up(session, "  CAMILLE@Example.ORG ", client_ip="203.0.113.9")

    # Same type and normalised address; what differs (no account, no code) only reaches the mail, never the caller's
    # answer. The owner is greeted with their own name, never with what the stranger typed.
    assert type(taken) is type(fresh) and fresh.user_id is not None and fresh.verification_code
    assert taken == users.RegistrationResult(email=OWNER, first_name="Camille", user_id=None,
                                             verification_code=None, notify_owner=True)
    # Untouched: same row (password hash, verification, key...), no code issued, no consent, no session.
    assert snapshot(session, owner.id) == before
    assert count(session, User) == 2 and count(session, Consent) == 1  # the new fan's consent only
    registered = session.exec(select(AuditLog.target_id).where(AuditLog.action == "user.registered")).all()
    assert sorted(registered) == sorted([str(owner.id), str(fresh.user_id)])
    stored = session.get(User, owner.id, populate_existing=True)
    assert verify_password(PASSWORD, stored.password_hash) and not verify_password(INTRUDER_PASSWORD,
                                                                                    stored.password_hash)
    with pytest.raises(AuthenticationError) as info:
        login.authenticate(session, email=OWNER, password=INTRUDER_PASSWORD)
    assert info.value.code == "invalid_credentials"
    assert login.authenticate(session, email=OWNER, password=PASSWORD).user_id == owner.id
    # Audit: who was targeted, from where; the stranger has no account, so no actor.
    [entry] = attempts_logged(session)
    assert (entry.actor_id, entry.target_type, entry.target_id, entry.client_ip) == (None, "user", str(owner.id),
                                                                                      "203.0.113.9")
    assert json.loads(entry.details) == {"notified": True}
    assert INTRUDER_PASSWORD not in entry.details


def test_unverified_owner_keeps_their_own_code(session: Session) -> None:
    """No code is issued or invalidated for the existing account: its owner's pending code still works, nothing
    the stranger could use was created."""
    first = users.register(session, email=OWNER, password=PASSWORD, first_name="Camille", last_name="Durand",
                           consent=True)
    before = snapshot(session, first.user_id)
    taken = sign_up(session, OWNER)
    assert taken.user_id is None and taken.verification_code is None
    assert snapshot(session, first.user_id) == before
    assert not session.get(User, first.user_id, populate_existing=True).is_verified
    email_codes.verify_email(session, OWNER, first.verification_code)
    assert session.get(User, first.user_id, populate_existing=True).is_verified


@pytest.mark.parametrize("verified", [True, False])
def test_code_step_after_a_taken_address_fails_exactly_like_a_wrong_code(session: Session, verified: bool) -> None:
    owner = make_owner(session, verified=verified)
    fresh = sign_up(session, "new.fan@example.org")
    sign_up(session, OWNER)
    wrong = other_code(fresh.verification_code)

    def failure(email: str, code: str) -> tuple:
        with pytest.raises(ValidationError) as info:
            email_codes.verify_email(session, email, code)
        return type(info.value), info.value.code, info.value.field, info.value.message

    expected = (ValidationError, "invalid_code", "code", INVALID_CODE_MESSAGE)
    assert failure("new.fan@example.org", wrong) == expected
    for guess in ("000000", "123456", "ABCDE-FGHJK", wrong, ""):
        assert failure(OWNER, guess) == expected, guess
    assert session.get(User, owner.id, populate_existing=True).is_verified is verified


@pytest.mark.parametrize("overrides", [
    {"consent": False},
    {"password": "short"},
    {"password": "Camille!Stade2024"},  # contains the address's local part
    {"password": "Password123!"},  # too common
    {"first_name": "   "},
    {"last_name": "x" * 51},
    {"first_name": "Bad\x00name"},
])
def test_invalid_sign_ups_are_refused_the_same_way_whether_or_not_the_address_is_taken(
        session: Session, overrides: dict) -> None:
    make_owner(session)

    def refusal(email: str) -> tuple:
        with pytest.raises(DomainError) as info:
            sign_up(session, email, **overrides)
        return type(info.value), info.value.code, info.value.field, info.value.message

    free = refusal("camille@example.net")
    assert refusal(OWNER) == free
    assert refusal(OWNER.upper()) == free
    assert count(session, User) == 1 and attempts_logged(session) == []


def test_taken_address_still_pays_the_bcrypt_cost(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The answer time does not tell: the password is hashed even though the hash is thrown away. Measured in CPU
    time of this process (other processes' load on a busy machine changes wall time, not this), as a lower bound."""
    make_owner(session)
    monkeypatch.setenv("BCRYPT_ROUNDS", "11")
    get_settings.cache_clear()
    try:
        samples = []
        for _ in range(3):
            started = time.process_time()
            hash_password(INTRUDER_PASSWORD)
            samples.append(time.process_time() - started)
        one_hash = min(samples)
        started = time.process_time()
        taken = sign_up(session, OWNER)
        elapsed = time.process_time() - started
    finally:
        monkeypatch.delenv("BCRYPT_ROUNDS")
        get_settings.cache_clear()
    assert taken.user_id is None
    assert one_hash > 0.02, "bcrypt at cost 11 should take tens of milliseconds"
    assert elapsed >= 0.8 * one_hash, (elapsed, one_hash)


def test_owner_notice_over_smtp_and_throttled(session: Session, smtp_server: SmtpCollector) -> None:
    owner = make_owner(session)
    fresh = sign_up(session, "new.fan@example.org")
    taken = users.register(session, email=OWNER, password=INTRUDER_PASSWORD, first_name="<b>Mallory</b>",
                           last_name="Intrus", consent=True)
    assert taken.notify_owner  # both mails were queued with the sign-ups (durable jobs)

    # The new address gets its verification code (greeted with the name it typed).
    [code_mail] = smtp_server.to("new.fan@example.org")
    assert "vérification" in str(code_mail["Subject"])
    assert fresh.verification_code in code_mail.get_body(("plain",)).get_content()
    # The owner gets the notice: their own name, where to log in or reset the password, and no code at all.
    [notice] = smtp_server.to(OWNER)
    assert "Tentative d'inscription" in str(notice["Subject"])
    text = notice.get_body(("plain",)).get_content()
    html = notice.get_body(("html",)).get_content()
    assert text.startswith("Bonjour Camille,")
    assert "déjà un compte" in text and "n'a pas été modifié" in text
    assert "https://tickets.example/connexion" in text and "https://tickets.example/mot-de-passe-oublie" in text
    assert code_in(text) is None and "Mallory" not in text + html
    assert "Relay" not in text + html

    # A second attempt within the interval: same result for the caller, audit-logged, but no second mail.
    again = sign_up(session, OWNER)
    assert (again.user_id, again.verification_code, again.notify_owner) == (None, None, False)
    assert len(smtp_server.to(OWNER)) == 1
    assert [json.loads(e.details)["notified"] for e in attempts_logged(session)] == [True, False]
    # Once the interval has passed since the last notice, the owner is told again, in the owner's stored language
    # (English now), not the language of the page the sign-up came from (French).
    past = users.EXISTING_EMAIL_NOTICE_INTERVAL + timedelta(minutes=1)
    session.execute(update(AuditLog).where(AuditLog.action == ACTION).values(created_at=AuditLog.created_at - past))
    session.commit()
    user_lang.set_lang(session, owner.id, "en")
    later = sign_up(session, OWNER)
    assert later.notify_owner
    english = smtp_server.to(OWNER)[-1]
    assert len(smtp_server.to(OWNER)) == 2 and "Sign-up attempt" in str(english["Subject"])
    assert "Hello Camille," in english.get_body(("plain",)).get_content()
    assert snapshot(session, owner.id)["user"]["password_hash"] == owner.password_hash
    assert not (get_settings().outbox_dir).exists() or not any(get_settings().outbox_dir.iterdir())


def test_concurrent_sign_ups_with_one_address_never_error(pg_engine: Engine) -> None:
    """Two sign-ups racing for one address: one account, and the loser gets the ordinary answer (not a 409)."""
    for n in range(3):
        address = f"race{n}@example.org"
        barrier = threading.Barrier(2)
        results: list = []

        def run(address: str = address, barrier: threading.Barrier = barrier, results: list = results) -> None:
            with Session(pg_engine) as db:
                barrier.wait()
                try:
                    results.append(sign_up(db, address))
                except Exception as exc:  # the test reports whatever escaped
                    results.append(exc)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert all(isinstance(r, users.RegistrationResult) for r in results), results
        assert sorted(r.user_id is None for r in results) == [False, True]
        with Session(pg_engine) as db:
            assert len(db.exec(select(User).where(User.email == address)).all()) == 1
            assert db.exec(select(func.count()).select_from(LoginAttempt)).one() == 0
