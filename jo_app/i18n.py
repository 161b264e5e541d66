"""The one catalogue of user-facing strings (French by default, English switchable) and the language state.

- `CATALOGUE[key] == {"fr": ..., "en": ...}`: every visible string of the site. Parts of it live in sibling
  modules to keep files small (`i18n_account.py`: account pages, errors and notices; `i18n_legal.py`: legal pages;
  `i18n_shop.py`: shop pages, owned by the shop area);
  they are merged here and checked for collisions.
- `text(key, lang, **values)`: plain Python lookup (services, mails, tests). Unknown languages fall back to French.
- `tr(key, **values)`: a reactive Var for components; both translations are compiled into the page and the
  browser picks one from `LangState.lang`, so switching language costs no round trip. Values may be Vars.
- `tr_var(key_var)`: same for a key only known at run time (e.g. an error code kept in a state var); limited to
  the keys listed in DYNAMIC_PREFIXES to keep the bundle small.
- `LangState.lang` is persisted in a (non-secret, client-writable) cookie `jo_lang`: always validated.
"""

from __future__ import annotations

import re
from typing import Any

import reflex as rx

from jo_app.i18n_account import ACCOUNT
from jo_app.i18n_admin import ADMIN
from jo_app.i18n_gate import GATE
from jo_app.i18n_legal import LEGAL
from jo_app.i18n_shop import SHOP

LANGS = ("fr", "en")
DEFAULT_LANG = "fr"
LANG_COOKIE = "jo_lang"
DYNAMIC_PREFIXES = ("err.", "msg.", "rule.")

_BASE: dict[str, dict[str, str]] = {
    # Site and navigation
    "site.name": {"fr": "JO E-Tickets", "en": "JO E-Tickets"},
    "site.tagline": {"fr": "Billetterie officielle des épreuves olympiques", "en": "Official Olympic events ticketing"},
    "nav.skip": {"fr": "Aller au contenu principal", "en": "Skip to main content"},
    "nav.main": {"fr": "Navigation principale", "en": "Main navigation"},
    "nav.home": {"fr": "Accueil", "en": "Home"},
    "nav.catalogue": {"fr": "Billetterie", "en": "Tickets"},
    "nav.cart": {"fr": "Panier", "en": "Cart"},
    "nav.cart_count": {"fr": "articles dans le panier", "en": "items in the cart"},
    "nav.tickets": {"fr": "Mes billets", "en": "My tickets"},
    "nav.orders": {"fr": "Mes commandes", "en": "My orders"},
    "nav.account": {"fr": "Mon compte", "en": "My account"},
    "nav.login": {"fr": "Connexion", "en": "Log in"},
    "nav.register": {"fr": "Créer un compte", "en": "Sign up"},
    "nav.gate": {"fr": "Contrôle des billets", "en": "Ticket control"},
    "nav.admin": {"fr": "Administration", "en": "Admin"},
    "nav.logout": {"fr": "Se déconnecter", "en": "Log out"},
    "nav.menu": {"fr": "Menu", "en": "Menu"},
    "nav.open_menu": {"fr": "Ouvrir le menu", "en": "Open the menu"},
    "nav.language": {"fr": "Langue", "en": "Language"},
    "nav.switch_to_en": {"fr": "Afficher le site en anglais", "en": "Show the site in English"},
    "nav.switch_to_fr": {"fr": "Afficher le site en français", "en": "Show the site in French"},
    "footer.privacy": {"fr": "Politique de confidentialité", "en": "Privacy policy"},
    "footer.legal": {"fr": "Mentions légales", "en": "Legal notice"},
    "footer.terms": {"fr": "Conditions générales de vente", "en": "Terms of sale"},
    "footer.copyright": {
        "fr": "JO E-Tickets — projet de démonstration, sans lien avec le Comité d'organisation.",
        "en": "JO E-Tickets — demonstration project, not affiliated with the Organising Committee.",
    },
    "footer.nav": {"fr": "Liens légaux", "en": "Legal links"},
    # Home (placeholder content; the shop area reworks it)
    "home.title": {"fr": "JO E-Tickets — Paris 2024", "en": "JO E-Tickets — Paris 2024"},
    "home.sessions_on_sale": {"fr": "sessions en vente", "en": "sessions on sale"},
    # Generic
    "common.loading": {"fr": "Chargement…", "en": "Loading…"},
    "common.cancel": {"fr": "Annuler", "en": "Cancel"},
    "common.back": {"fr": "Retour", "en": "Back"},
    "common.required": {"fr": "obligatoire", "en": "required"},
    "common.show_password": {"fr": "Afficher le mot de passe", "en": "Show password"},
    "common.yes": {"fr": "Oui", "en": "Yes"},
    "common.no": {"fr": "Non", "en": "No"},
    # Fields
    "field.email": {"fr": "Adresse e-mail", "en": "E-mail address"},
    "field.password": {"fr": "Mot de passe", "en": "Password"},
    "field.new_password": {"fr": "Nouveau mot de passe", "en": "New password"},
    "field.current_password": {"fr": "Mot de passe actuel", "en": "Current password"},
    "field.first_name": {"fr": "Prénom", "en": "First name"},
    "field.last_name": {"fr": "Nom", "en": "Last name"},
    "field.code": {"fr": "Code à 6 chiffres", "en": "6-digit code"},
    "field.totp": {"fr": "Code de l'application d'authentification ou code de secours",
                   "en": "Authenticator app code or recovery code"},
    "field.totp_only": {"fr": "Code de l'application d'authentification", "en": "Authenticator app code"},
    # Password rules (live checklist)
    "rule.title": {"fr": "Le mot de passe doit contenir :", "en": "The password must contain:"},
    "rule.length": {"fr": "8 à 128 caractères", "en": "8 to 128 characters"},
    "rule.upper": {"fr": "une lettre majuscule", "en": "an uppercase letter"},
    "rule.lower": {"fr": "une lettre minuscule", "en": "a lowercase letter"},
    "rule.digit": {"fr": "un chiffre", "en": "a digit"},
    "rule.special": {"fr": "un caractère spécial", "en": "a special character"},
    "rule.met": {"fr": "respectée", "en": "met"},
    "rule.unmet": {"fr": "non respectée", "en": "not met"},
}

CATALOGUE: dict[str, dict[str, str]] = {}
for _part in (_BASE, ACCOUNT, LEGAL, SHOP, GATE, ADMIN):
    _clash = CATALOGUE.keys() & _part.keys()
    if _clash:
        raise RuntimeError(f"Duplicate i18n keys: {sorted(_clash)}")
    CATALOGUE.update(_part)

_DYNAMIC = {lang: {k: v[lang] for k, v in CATALOGUE.items() if k.startswith(DYNAMIC_PREFIXES)} for lang in LANGS}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def normalize_lang(lang: str | None) -> str:
    """`lang` if supported, else the default (the cookie is client-writable: never trust it)."""
    return lang if lang in LANGS else DEFAULT_LANG


def text(key: str, lang: str | None = DEFAULT_LANG, **values: Any) -> str:
    """The string `key` in `lang`, with `{name}` placeholders filled from `values`. KeyError if unknown."""
    template = CATALOGUE[key][normalize_lang(lang)]
    return template.format(**values) if values else template


def error_key(code: str | None, field: str | None = None, message: str = "") -> str:
    """The catalogue key for a DomainError (stable `code`, optional `field`, English `message` as last resort)."""
    if code and f"err.{code}" in CATALOGUE:
        return f"err.{code}"
    lowered = (message or "").lower()
    if field in ("password", "new_password"):
        if "too common" in lowered:
            return "err.password_common"
        if "e-mail" in lowered:
            return "err.password_email"
        if "differ" in lowered:
            return "err.password_same"
        return "err.password_rules"
    if field == "email":
        return "err.email_invalid"
    if field in ("first_name", "last_name"):
        return "err.name_invalid"
    if field == "consent":
        return "err.consent_required"
    if field == "code":
        return "err.invalid_code"
    return "err.generic"


class LangState(rx.State):
    """The visitor's language; public and client-writable (only a display preference)."""

    lang: str = rx.Cookie(DEFAULT_LANG, name=LANG_COOKIE, max_age=365 * 24 * 3600, same_site="lax")

    @rx.event
    def set_lang(self, lang: str):
        """Switch the display language (unknown values are ignored)."""
        if lang in LANGS:
            self.lang = lang
            return sync_html_lang(lang)
        return None

    @rx.event
    def toggle_lang(self):
        self.lang = "en" if self.lang == "fr" else "fr"
        return sync_html_lang(self.lang)

    @rx.var
    def current_lang(self) -> str:
        """The validated language (use this rather than `lang` in conditions)."""
        return normalize_lang(self.lang)

    @rx.var
    def messages(self) -> dict[str, str]:
        """The dynamic-key strings (errors, notices) in the current language, for `tr_var`."""
        return _DYNAMIC[normalize_lang(self.lang)]


def sync_html_lang(lang: str | None = None) -> rx.event.EventSpec:
    """Set `<html lang>` (screen readers, hyphenation) to `lang`, or to the `jo_lang` cookie's language."""
    if lang in LANGS:
        return rx.call_script(f"document.documentElement.lang = '{lang}'")
    return rx.call_script(
        f"document.documentElement.lang = ((document.cookie.match(/(?:^|; ){LANG_COOKIE}=(en|fr)(?:;|$)/) || [])[1]"
        f" || '{DEFAULT_LANG}')"
    )


def _is_en() -> rx.Var:
    return LangState.lang == "en"


def _fill(template: str, values: dict[str, Any]) -> Any:
    """`template` with placeholders replaced; a Var value makes the result a string Var concatenation."""
    if not values:
        return template
    if not any(isinstance(v, rx.Var) for v in values.values()):
        return template.format(**values)
    parts: list[Any] = []
    pos = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(template[pos:match.start()])
        value = values[match.group(1)]
        parts.append(value.to(str) if isinstance(value, rx.Var) else str(value))
        pos = match.end()
    parts.append(template[pos:])
    result: Any = rx.Var.create("")
    for part in parts:
        if isinstance(part, str) and not part:
            continue
        result = result + part
    return result


def tr(key: str, **values: Any) -> rx.Var:
    """A reactive translation of `key` (both languages are in the page; the browser picks one)."""
    entry = CATALOGUE[key]
    return rx.cond(_is_en(), _fill(entry["en"], values), _fill(entry["fr"], values))


def page_title(key: str) -> rx.Var:
    """The browser tab title for a page (`add_page(title=...)`): "<page> — JO E-Tickets" in the current language."""
    entry, site = CATALOGUE[key], CATALOGUE["site.name"]
    return rx.cond(_is_en(), f"{entry['en']} — {site['en']}", f"{entry['fr']} — {site['fr']}")


def tr_var(key: rx.Var | str) -> rx.Var:
    """Translation of a key held in a Var (only `err.*`, `msg.*` and `rule.*` keys; empty string otherwise)."""
    if isinstance(key, str):
        return tr(key)
    return rx.cond(key, LangState.messages[key].to(str), "")
