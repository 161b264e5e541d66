"""Demo catalogue and accounts: idempotent seeding, realistic data, committed illustrations match the generator."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from jo_app.config import PROJECT_ROOT, get_settings
from jo_app.models import AuditLog, Event, Offer, OfferType, Role, User
from jo_app.services.accounts.passwords import validate_password_policy, verify_password
from jo_app.tooling import demo_data, sport_art

TODAY = date(2030, 3, 4)


def counts(session: Session) -> tuple[int, int, int, int]:
    return tuple(session.exec(select(func.count()).select_from(model)).one()  # type: ignore[return-value]
                 for model in (Event, Offer, User, AuditLog))


def test_seed_is_idempotent(session: Session) -> None:
    first = demo_data.seed_demo(session, today=TODAY)
    assert first.events_created == len(demo_data.SESSIONS) >= 30
    assert first.offers_created == 3 * first.events_created
    assert (first.users_created, first.events_existing, first.accounts_skipped) == (3, 0, False)
    before = counts(session)
    snapshot = {e.slug: (e.starts_at, e.capacity, e.title) for e in session.exec(select(Event)).all()}
    second = demo_data.seed_demo(session, today=TODAY + timedelta(days=9))  # another day: still nothing new
    assert (second.events_created, second.offers_created, second.users_created) == (0, 0, 0)
    assert (second.events_existing, second.users_existing) == (first.events_created, 3)
    assert counts(session) == before
    session.expire_all()
    assert {e.slug: (e.starts_at, e.capacity, e.title) for e in session.exec(select(Event)).all()} == snapshot


def test_events_are_future_sessions_at_real_venues(session: Session) -> None:
    demo_data.seed_demo(session, today=TODAY, with_accounts=False)
    events = session.exec(select(Event)).all()
    start = datetime.combine(TODAY, datetime.min.time())
    for event in events:
        assert event.starts_at.tzinfo is None
        assert start + timedelta(days=13) <= event.starts_at <= start + timedelta(days=57), event.slug
        assert event.seats_sold == 0 and event.is_published and event.description
        assert " — " in event.title
    venues = {e.venue for e in events}
    for venue in ("Stade de France", "Roland-Garros (Court Philippe-Chatrier)", "Bercy Arena", "Grand Palais",
                  "Château de Versailles", "Eiffel Tower Stadium", "Marseille Marina", "Parc des Princes",
                  "Paris La Défense Arena", "Arena Champ-de-Mars", "Stade nautique de Vaires-sur-Marne",
                  "Vélodrome national de Saint-Quentin-en-Yvelines", "Pont d'Iéna", "Hôtel de Ville",
                  "Les Invalides", "Concorde", "Stade Pierre-Mauroy", "Stade Vélodrome", "Teahupo'o"):
        assert venue in venues
    by_slug = {e.slug: e for e in events}
    sprint = by_slug["athletisme-finale-100m-hommes"]
    local = sprint.starts_at.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    assert (local.hour, local.minute) == (21, 50) and sprint.venue == "Stade de France"
    assert by_slug["tennis-finale-simple-messieurs"].sport == "Tennis"
    assert by_slug["escrime-finale-epee-individuelle-hommes"].venue == "Grand Palais"
    assert by_slug["sports-equestres-saut-obstacles-finale"].venue == "Château de Versailles"
    assert len({e.sport for e in events}) >= 15
    small = [e for e in events if e.capacity <= 12]
    assert 1 <= len(small) <= 3, "a couple of sessions small enough to show a sell-out"


def test_each_event_has_solo_duo_family_offers(session: Session) -> None:
    demo_data.seed_demo(session, today=TODAY, with_accounts=False)
    for event in session.exec(select(Event)).all():
        offers = {o.offer_type: o for o in session.exec(select(Offer).where(Offer.event_id == event.id)).all()}
        assert set(offers) == {t.value for t in OfferType}
        solo, duo, family = offers["solo"], offers["duo"], offers["family"]
        assert (solo.title, duo.title, family.title) == ("Solo", "Duo", "Famille")
        assert (solo.persons, duo.persons, family.persons) == (1, 2, 4)
        assert 2400 <= solo.price_cents <= 20000 and family.price_cents <= 69000
        assert all(o.price_cents % 100 == 0 for o in offers.values())
        assert abs(duo.price_cents / solo.price_cents - 1.9) < 0.05
        assert abs(family.price_cents / solo.price_cents - 3.6) < 0.05


def test_demo_accounts_can_log_in_with_their_roles(session: Session) -> None:
    demo_data.seed_demo(session, today=TODAY)
    roles = {}
    for account in demo_data.DEMO_ACCOUNTS:
        validate_password_policy(account.password, email=account.email)  # the policy holds for the demo too
        user = session.exec(select(User).where(User.email == account.email)).one()
        assert verify_password(account.password, user.password_hash)
        assert user.is_verified
        roles[user.role] = account.email
    assert set(roles) == {Role.VISITOR.value, Role.EMPLOYEE.value, Role.ADMIN.value}


def test_no_demo_accounts_in_production_unless_asked(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JO_ENV", "prod")
    get_settings.cache_clear()
    try:
        report = demo_data.seed_demo(session, today=TODAY)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert report.accounts_skipped and report.users_created == 0
    assert session.exec(select(func.count()).select_from(User)).one() == 0
    assert report.events_created == len(demo_data.SESSIONS)


def test_event_images_are_the_committed_generated_files(session: Session) -> None:
    demo_data.seed_demo(session, today=TODAY, with_accounts=False)
    for event in session.exec(select(Event)).all():
        assert event.image and event.image.startswith("/sports/")
        path = PROJECT_ROOT / "assets" / event.image.lstrip("/")
        slug = path.stem
        assert path.read_text(encoding="utf-8") == sport_art.render_svg(slug), (
            f"{path} differs from the generator: run `python -m jo_app.cli sport-images`")


@pytest.mark.parametrize("slug", sorted(sport_art.SPORTS))
def test_sport_illustrations_are_valid_svg(slug: str) -> None:
    root = ElementTree.fromstring(sport_art.render_svg(slug).encode())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == [sport_art.SPORTS[slug].name]
    assert len(list(root.iter())) > 8  # a drawing, not just a background


def test_every_sport_has_a_distinct_illustration() -> None:
    rendered = {sport_art.render_svg(slug) for slug in sport_art.SPORTS}
    assert len(rendered) == len(sport_art.SPORTS)
    assert {p.stem for p in (PROJECT_ROOT / "assets" / "sports").glob("*.svg")} == set(sport_art.SPORTS)
