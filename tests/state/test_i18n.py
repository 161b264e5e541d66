"""The catalogue: every key in French and English, nothing empty, placeholders consistent, lookups safe."""

from __future__ import annotations

import re
import string

import pytest

from jo_app.i18n import CATALOGUE, LANGS, LEGAL_PAGES, LangState, error_key, normalize_lang, text, tr, tr_var
from jo_app.services.accounts.passwords import validate_password_policy
from jo_app.services.errors import DomainError, ValidationError

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_every_key_has_every_language_and_no_empty_string() -> None:
    assert len(CATALOGUE) > 150
    for key, entry in CATALOGUE.items():
        assert set(entry) == set(LANGS), key
        for lang in LANGS:
            assert isinstance(entry[lang], str) and entry[lang].strip(), (key, lang)


def test_placeholders_match_between_languages() -> None:
    for key, entry in CATALOGUE.items():
        assert set(PLACEHOLDER.findall(entry["fr"])) == set(PLACEHOLDER.findall(entry["en"])), key
        for lang in LANGS:  # str.format must accept the template
            fields = [f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f]
            entry[lang].format(**{f: "x" for f in fields})


def test_english_is_really_translated() -> None:
    """Long strings identical in both languages are almost always a forgotten translation."""
    same = [k for k, v in CATALOGUE.items() if v["fr"] == v["en"] and len(v["fr"]) > 25 and "@" not in v["fr"]]
    assert same == []


def test_text_lookup_and_fallback() -> None:
    assert text("nav.home") == "Accueil"
    assert text("nav.home", "en") == "Home"
    assert text("nav.home", "de") == "Accueil"  # unknown (client-written) language: French
    assert text("nav.home", None) == "Accueil"
    with pytest.raises(KeyError):
        text("no.such.key", "fr")


def test_normalize_lang_rejects_anything_else() -> None:
    assert [normalize_lang(x) for x in ("fr", "en", "EN", "", None, "en;drop")] == ["fr", "en", "fr", "fr", "fr",
                                                                                     "fr"]


def _raised(fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    return info.value


def test_error_keys_map_service_codes_reasons_and_fields() -> None:
    """One mapping: reason (finer UI code), then the field's default for a bare validation_error, then the code."""
    assert error_key("invalid_credentials") == "err.invalid_credentials"
    assert error_key("locked_out") == "err.locked_out"
    assert error_key("has_valid_future_tickets") == "err.has_valid_future_tickets"
    assert error_key("sold_out") == "err.sold_out" and error_key("last_admin") == "err.last_admin"
    assert error_key(_raised(validate_password_policy, "Password1!")) == "err.password_common"
    assert error_key(_raised(validate_password_policy, "Zq9!marcelvk-x", email="marcelvk@x.fr")) == "err.password_email"
    assert error_key(_raised(validate_password_policy, "short")) == "err.password_rules"
    assert error_key(ValidationError("Enter a valid e-mail address.", field="email")) == "err.email_invalid"
    assert error_key(ValidationError("x", field="consent")) == "err.consent_required"
    assert error_key(ValidationError("x", field="holder_name")) == "err.validation_error"
    assert error_key(DomainError("Traceback (most recent call last)", code="weird_unknown_code")) == "err.generic"
    assert error_key(None) == "err.generic"
    for key in ("err.generic", "err.invalid_totp", "err.email_taken", "err.invalid_code", "err.account_locked"):
        assert key in CATALOGUE


def test_legal_pages_reference_existing_keys_and_have_content() -> None:
    for page, sections in LEGAL_PAGES.items():
        assert f"{page}.title" in CATALOGUE and f"{page}.intro" in CATALOGUE
        assert len(sections) >= 3
        for heading, paragraphs in sections:
            assert heading in CATALOGUE and paragraphs
            assert all(p in CATALOGUE for p in paragraphs)
    for lang, topics in (("fr", ("conservation", "finalités", "droits", "cookies", "dpo@", "cnil", "destinataires")),
                         ("en", ("retention", "purposes", "rights", "cookies", "dpo@", "cnil", "recipients"))):
        privacy = " ".join(text(h, lang) + " " + " ".join(text(k, lang) for k in ps)
                           for h, ps in LEGAL_PAGES["privacy"]).lower()
        assert all(topic in privacy for topic in topics), lang
    terms = " ".join(text(k, "fr") for _, ps in LEGAL_PAGES["terms"] for k in ps).lower()
    assert "6 offres" in terms and "revente" in terms and "rembours" in terms


def test_reactive_helpers_compile_both_languages() -> None:
    js = str(tr("nav.home"))
    assert "Home" in js and "Accueil" in js and "lang" in js
    assert "messages" in str(tr_var(LangState.lang))
    assert str(tr_var("nav.home")) == js


def _handler(name: str):
    return LangState.event_handlers[name].fn


def test_lang_state_accepts_only_known_languages() -> None:
    state = LangState(_reflex_internal_init=True)
    assert state.lang == "fr" and state.messages["err.generic"].startswith("Une erreur")
    _handler("set_lang")(state, "en")
    assert state.lang == "en" and state.messages["err.generic"] == text("err.generic", "en")
    _handler("set_lang")(state, "<script>")
    assert state.lang == "en"
    _handler("toggle_lang")(state)
    assert state.lang == "fr"
    state.lang = "xx"  # the cookie is client-writable: a forged value falls back to French
    assert state.current_lang == "fr" and state.messages["err.generic"] == text("err.generic", "fr")
    assert set(state.messages) == {k for k in CATALOGUE if k.startswith(("err.", "msg.", "rule."))}
