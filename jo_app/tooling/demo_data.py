"""Demonstration catalogue and accounts: about thirty Paris 2024-style sessions at their real venues.

`seed_demo` is idempotent (events are keyed on their slug, accounts on their e-mail): running it again changes
nothing. Dates are relative to the install day (2 to 8 weeks later), local times converted to naive UTC.
Demo accounts have published passwords: they are created outside production only, unless explicitly asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from jo_app.config import get_settings
from jo_app.models import Event, Offer, OfferType, Role, User
from jo_app.services import audit
from jo_app.timeutil import utcnow
from jo_app.tooling.sport_art import SPORTS, image_url

PARIS = "Europe/Paris"
DUO_FACTOR, FAMILY_FACTOR = 1.9, 3.6


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: Role
    first_name: str
    last_name: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("visiteur@demo.jo", "Spectateur!2024", Role.VISITOR, "Camille", "Martin"),
    DemoAccount("employe@demo.jo", "Controle!2024", Role.EMPLOYEE, "Julien", "Bernard"),
    DemoAccount("admin@demo.jo", "Gestion!2024jo", Role.ADMIN, "Sophie", "Laurent"),
)


@dataclass(frozen=True)
class DemoSession:
    slug: str
    sport: str  # key of sport_art.SPORTS
    title: str
    venue: str
    city: str
    day: int  # days after the install day
    at: time  # local time at the venue
    capacity: int
    solo_euros: int
    description: str
    timezone: str = PARIS


S = DemoSession  # short alias for the table below
SESSIONS: tuple[DemoSession, ...] = (
    S("athletisme-finale-100m-hommes", "athletisme", "Athlétisme — Finale 100 m hommes", "Stade de France",
      "Saint-Denis", 21, time(21, 50), 1200, 190,
      "La course reine des Jeux : huit sprinteurs, moins de dix secondes. Séance du soir avec les demi-finales "
      "et la finale du 100 m hommes."),
    S("athletisme-finale-perche-hommes", "athletisme", "Athlétisme — Finale saut à la perche hommes",
      "Stade de France", "Saint-Denis", 23, time(19, 0), 800, 120,
      "Une soirée suspendue au-dessus de la barre : la finale de la perche, où les records du monde tombent."),
    S("athletisme-20km-marche-hommes", "athletisme", "Athlétisme — 20 km marche hommes", "Pont d'Iéna", "Paris",
      15, time(7, 30), 250, 24,
      "Départ et arrivée face à la tour Eiffel : la marche athlétique sur un circuit tracé entre Trocadéro et Seine."),
    S("athletisme-marathon-hommes-depart", "athletisme", "Athlétisme — Marathon hommes (départ)", "Hôtel de Ville",
      "Paris", 39, time(8, 0), 200, 24,
      "Tribune de départ sur le parvis de l'Hôtel de Ville pour un marathon qui traverse l'histoire de Paris."),
    S("athletisme-marathon-femmes-arrivee", "athletisme", "Athlétisme — Marathon femmes (arrivée)", "Les Invalides",
      "Paris", 40, time(8, 0), 300, 26,
      "Tribune d'arrivée sur l'esplanade des Invalides : l'épreuve qui clôt le programme d'athlétisme."),
    S("tennis-finale-simple-messieurs", "tennis", "Tennis — Finale simple messieurs",
      "Roland-Garros (Court Philippe-Chatrier)", "Paris", 28, time(14, 0), 900, 160,
      "Sur la terre battue du Central, la finale du tournoi olympique de simple messieurs."),
    S("tennis-demi-finales-simple-dames", "tennis", "Tennis — Demi-finales simple dames",
      "Roland-Garros (Court Philippe-Chatrier)", "Paris", 25, time(12, 0), 700, 85,
      "Deux demi-finales sous le toit du Court Philippe-Chatrier pour une place en finale olympique."),
    S("boxe-finales-femmes", "boxe", "Boxe — Finales femmes", "Roland-Garros (Court Philippe-Chatrier)", "Paris",
      44, time(20, 30), 600, 95,
      "Le Court Philippe-Chatrier devient un ring : quatre finales féminines, quatre titres olympiques."),
    S("escrime-finale-epee-individuelle-hommes", "escrime", "Escrime — Finale épée individuelle hommes",
      "Grand Palais", "Paris", 16, time(19, 30), 400, 110,
      "Sous la verrière du Grand Palais, tableau final de l'épée individuelle masculine."),
    S("escrime-finale-sabre-equipes-femmes", "escrime", "Escrime — Finale sabre par équipes femmes",
      "Grand Palais", "Paris", 30, time(18, 30), 400, 90,
      "Relais de sabre à quarante-cinq touches : la finale par équipes féminine au Grand Palais."),
    S("taekwondo-finales-58kg-hommes-49kg-femmes", "taekwondo", "Taekwondo — Finales -58 kg hommes et -49 kg femmes",
      "Grand Palais", "Paris", 35, time(20, 0), 350, 70,
      "Les premières finales du tournoi de taekwondo, sur l'aire octogonale installée dans la nef."),
    S("sports-equestres-saut-obstacles-finale", "sports-equestres",
      "Sports équestres — Saut d'obstacles, finale individuelle", "Château de Versailles", "Versailles", 33,
      time(11, 0), 500, 125,
      "Parcours de finale dans le parc du château, avec la perspective du Grand Canal en toile de fond."),
    S("beach-volley-finale-femmes", "beach-volley", "Beach-volley — Finale femmes", "Eiffel Tower Stadium", "Paris",
      31, time(21, 30), 600, 140,
      "Match pour l'or au pied de la tour Eiffel, au Champ-de-Mars, en nocturne."),
    S("voile-medal-race-kitefoil", "voile", "Voile — Medal race kitefoil", "Marseille Marina", "Marseille", 38,
      time(13, 0), 150, 30,
      "Depuis la marina du Roucas-Blanc, les finales de kitefoil dans la rade de Marseille."),
    S("natation-finale-200m-4-nages-hommes", "natation", "Natation — Finale 200 m 4 nages hommes",
      "Paris La Défense Arena", "Nanterre", 18, time(20, 30), 900, 175,
      "Papillon, dos, brasse, crawl : une finale de quatre nages dans le bassin éphémère de La Défense Arena."),
    S("natation-finales-relais-4x100m", "natation", "Natation — Finales relais 4 x 100 m", "Paris La Défense Arena",
      "Nanterre", 24, time(20, 30), 900, 150,
      "Soirée des relais : 4 x 100 m nage libre femmes et 4 x 100 m quatre nages hommes."),
    S("plongeon-finale-10m-hommes", "plongeon", "Plongeon — Finale haut-vol 10 m hommes",
      "Centre aquatique olympique", "Saint-Denis", 29, time(15, 0), 350, 85,
      "Six plongeons depuis la plateforme de 10 mètres, dans le nouveau centre aquatique de Saint-Denis."),
    S("basketball-finale-hommes", "basketball", "Basketball — Finale hommes", "Bercy Arena", "Paris", 46,
      time(21, 30), 800, 185, "La finale du tournoi olympique de basketball masculin à Bercy."),
    S("basketball-phase-de-groupes-femmes", "basketball", "Basketball — Phase de groupes femmes",
      "Stade Pierre-Mauroy", "Villeneuve-d'Ascq (Lille)", 14, time(17, 15), 1000, 35,
      "Deux matchs de poule du tournoi féminin dans le stade de Lille transformé en salle géante."),
    S("gymnastique-finale-concours-general-femmes", "gymnastique",
      "Gymnastique artistique — Finale du concours général femmes", "Bercy Arena", "Paris", 20, time(18, 15), 600,
      130, "Saut, barres, poutre et sol : la finale du concours général individuel féminin."),
    S("football-finale-hommes", "football", "Football — Finale hommes", "Parc des Princes", "Paris", 47, time(18, 0),
      1500, 95, "La finale du tournoi olympique masculin au Parc des Princes."),
    S("football-demi-finale-femmes", "football", "Football — Demi-finale femmes", "Stade Vélodrome", "Marseille", 42,
      time(21, 0), 1200, 45, "Une demi-finale du tournoi féminin dans l'ambiance du Vélodrome."),
    S("handball-finale-hommes", "handball", "Handball — Finale hommes", "Stade Pierre-Mauroy",
      "Villeneuve-d'Ascq (Lille)", 49, time(14, 0), 1000, 80,
      "La finale masculine dans la plus grande salle de handball jamais montée pour des Jeux."),
    S("judo-finales-equipes-mixtes", "judo", "Judo — Finales par équipes mixtes", "Arena Champ-de-Mars", "Paris", 27,
      time(16, 0), 450, 105, "Trois hommes, trois femmes, six combats : les finales de l'épreuve par équipes mixtes."),
    S("aviron-finale-skiff-hommes", "aviron", "Aviron — Finale skiff hommes", "Stade nautique de Vaires-sur-Marne",
      "Vaires-sur-Marne", 19, time(11, 30), 400, 45,
      "Deux mille mètres en solitaire sur le bassin olympique de Vaires-sur-Marne."),
    S("canoe-kayak-finale-kayak-cross", "canoe-kayak", "Canoë-kayak — Finale kayak cross",
      "Stade nautique de Vaires-sur-Marne", "Vaires-sur-Marne", 36, time(15, 30), 350, 40,
      "Quatre kayaks lâchés ensemble sur le parcours d'eaux vives : la nouvelle épreuve spectaculaire du slalom."),
    S("cyclisme-piste-finale-keirin-hommes", "cyclisme-sur-piste", "Cyclisme sur piste — Finale keirin hommes",
      "Vélodrome national de Saint-Quentin-en-Yvelines", "Montigny-le-Bretonneux", 41, time(17, 0), 300, 75,
      "Derrière le derny puis au sprint : la finale du keirin sur l'anneau de 250 mètres."),
    S("cyclisme-route-course-en-ligne-hommes", "cyclisme-sur-route", "Cyclisme sur route — Course en ligne hommes",
      "Pont d'Iéna", "Paris", 22, time(11, 0), 400, 24,
      "Arrivée au Trocadéro après 273 km et la montée de Montmartre : tribune face au pont d'Iéna."),
    S("tir-a-l-arc-finale-individuelle-femmes", "tir-a-l-arc", "Tir à l'arc — Finale individuelle femmes",
      "Les Invalides", "Paris", 26, time(14, 30), 300, 55,
      "Sur l'esplanade des Invalides, les duels à 70 mètres jusqu'à la médaille d'or."),
    S("skateboard-finale-street-hommes", "skateboard", "Skateboard — Finale street hommes", "Concorde", "Paris", 34,
      time(12, 30), 400, 50, "Le parc urbain de la Concorde accueille la finale du skateboard street."),
    S("breaking-finale-b-girls", "breaking", "Breaking — Finale B-Girls", "Concorde", "Paris", 52, time(20, 0), 12,
      65, "Première finale olympique de breaking, en battles face à face sur la place de la Concorde. "
      "Dernières places disponibles."),
    S("rugby-a-7-finale-hommes", "rugby", "Rugby à 7 — Finale hommes", "Stade de France", "Saint-Denis", 17,
      time(19, 30), 1000, 90, "Quatorze minutes de jeu pour l'or : la finale du tournoi masculin de rugby à sept."),
    S("surf-finale-hommes", "surf", "Surf — Finale hommes", "Teahupo'o", "Teahupo'o (Tahiti)", 55, time(7, 0), 8, 49,
      "Finale sur la vague mythique de Tahiti, suivie depuis un bateau spectateur. Très peu de places.",
      timezone="Pacific/Tahiti"),
)

OFFER_TEMPLATES: tuple[tuple[OfferType, str, str], ...] = (
    (OfferType.SOLO, "Solo", "Un billet électronique pour une personne."),
    (OfferType.DUO, "Duo", "Un billet électronique pour deux personnes, places côte à côte."),
    (OfferType.FAMILY, "Famille", "Un billet électronique pour quatre personnes (famille ou amis), places voisines."),
)


@dataclass(frozen=True)
class SeedReport:
    events_created: int
    events_existing: int
    offers_created: int
    users_created: int
    users_existing: int
    accounts_skipped: bool  # production without explicit request: no demo accounts


def offer_prices(solo_euros: int) -> dict[OfferType, int]:
    """Prices in cents for each pack: duo ~1.9x and family ~3.6x the solo price, rounded to the euro."""
    return {
        OfferType.SOLO: solo_euros * 100,
        OfferType.DUO: round(solo_euros * DUO_FACTOR) * 100,
        OfferType.FAMILY: round(solo_euros * FAMILY_FACTOR) * 100,
    }


def starts_at_utc(item: DemoSession, today: date) -> datetime:
    """The session's start as naive UTC, from its local time at the venue."""
    local = datetime.combine(today + timedelta(days=item.day), item.at, tzinfo=ZoneInfo(item.timezone))
    return local.astimezone(UTC).replace(tzinfo=None)


def _seed_events(session: Session, today: date) -> tuple[int, int, int]:
    existing = set(session.exec(select(Event.slug).where(Event.slug.in_([s.slug for s in SESSIONS]))).all())
    created = offers = 0
    for item in SESSIONS:
        if item.slug in existing:
            continue
        event = Event(slug=item.slug, sport=SPORTS[item.sport].name, title=item.title, description=item.description,
                      venue=item.venue, city=item.city, starts_at=starts_at_utc(item, today), capacity=item.capacity,
                      image=image_url(item.sport))
        session.add(event)
        session.flush()
        prices = offer_prices(item.solo_euros)
        for kind, title, description in OFFER_TEMPLATES:
            session.add(Offer(event_id=event.id, title=title, description=description, offer_type=kind.value,
                              persons=kind.persons, price_cents=prices[kind]))
            offers += 1
        created += 1
    return created, len(existing), offers


def _seed_accounts(session: Session) -> tuple[int, int]:
    from jo_app.services.accounts.users import create_user  # accounts imports much; keep this module light to import

    created = existing = 0
    for account in DEMO_ACCOUNTS:
        if session.exec(select(User.id).where(User.email == account.email)).first() is not None:
            existing += 1
            continue
        create_user(session, email=account.email, password=account.password, first_name=account.first_name,
                    last_name=account.last_name, role=account.role, verified=True)
        created += 1
    return created, existing


def seed_demo(session: Session, *, today: date | None = None, with_accounts: bool | None = None) -> SeedReport:
    """Create the demo catalogue (and, outside production, the demo accounts). Idempotent; commits.

    `with_accounts=None` means "unless JO_ENV=prod": published passwords never reach production by accident.
    """
    today = today or utcnow().date()
    if with_accounts is None:
        with_accounts = not get_settings().is_production
    events_created, events_existing, offers_created = _seed_events(session, today)
    users_created, users_existing = _seed_accounts(session) if with_accounts else (0, 0)
    if events_created or users_created:
        audit.record(session, "demo.seeded", target_type="catalog", events=events_created, offers=offers_created,
                     users=users_created)
    session.commit()
    return SeedReport(events_created, events_existing, offers_created, users_created, users_existing,
                      accounts_skipped=not with_accounts)
