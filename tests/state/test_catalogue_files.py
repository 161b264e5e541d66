"""The gettext catalogues themselves: same keys in French and English, complete, placeholders consistent, plural
rules right, compiled .mo files faithful, and every key written in the code or the mail templates present."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo

from jo_app.i18n import CATALOGUE, LANGS, ntext, plural_forms
from jo_app.i18n.catalog import compile_mo, load, mo_path, read_source

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
KEYWORDS = {"tr": None, "text": None, "ntext": None, "tr_count": None, "page_title": None, "_": None, "_n": None,
            "N_": None}
KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


def _flat(messages) -> dict[str, str | tuple[str, ...]]:
    return {(m.id if isinstance(m.id, str) else m.id[0]): (m.string if isinstance(m.string, str) else tuple(m.string))
            for m in messages if m.id}


def _entries(lang: str) -> dict[str, str | tuple[str, ...]]:
    return _flat(read_source(lang))


def test_french_and_english_catalogues_have_the_same_keys_all_translated() -> None:
    fr, en = _entries("fr"), _entries("en")
    assert len(fr) > 700
    assert set(fr) == set(en)
    for key in fr:
        assert isinstance(fr[key], str) == isinstance(en[key], str), key  # plural in both or in neither
        for lang, value in (("fr", fr[key]), ("en", en[key])):
            forms = (value,) if isinstance(value, str) else value
            assert forms and all(isinstance(f, str) and f.strip() for f in forms), (key, lang)
    for lang in LANGS:
        assert not [m.id for m in read_source(lang) if m.id and m.fuzzy], lang


def test_placeholders_are_the_same_in_every_form_of_both_languages() -> None:
    fr, en = _entries("fr"), _entries("en")
    for key in fr:
        forms = [fr[key]] if isinstance(fr[key], str) else list(fr[key])
        forms += [en[key]] if isinstance(en[key], str) else list(en[key])
        names = [set(PLACEHOLDER.findall(f)) - {"n"} for f in forms]
        assert all(n == names[0] for n in names), key
        for form in forms:  # str.format must accept it
            form.format(**{name: "x" for name in PLACEHOLDER.findall(form)})


def test_plural_rules_are_gettext_classics() -> None:
    """French: 0 and 1 singular; English: only 1. Two forms each, from the catalogue header."""
    assert read_source("fr").plural_expr == "(n > 1)" and read_source("en").plural_expr == "(n != 1)"
    assert [load("fr").plural_index(n) for n in (0, 1, 2, 1000)] == [0, 0, 1, 1]
    assert [load("en").plural_index(n) for n in (0, 1, 2, 1000)] == [1, 0, 1, 1]
    assert ntext("shop.results", 0, "fr") == "0 session" and ntext("shop.results", 0, "en") == "0 sessions"
    assert ntext("shop.results", 1, "en") == "1 session"
    assert ntext("shop.results", 19211, "fr") == "19\u202f211 sessions"
    assert ntext("shop.results", 19211, "en") == "19,211 sessions"
    assert all(len(plural_forms(key, lang)) == 2 for lang in LANGS for key in load(lang).plurals)


def test_no_parenthesised_plural_left() -> None:
    """"billet(s)" is what plural entries replace."""
    for lang in LANGS:
        for key, value in _entries(lang).items():
            for form in (value,) if isinstance(value, str) else value:
                assert not re.search(r"\w\((s|x|e|es)\)", form), (key, lang, form)


def test_compiled_catalogues_match_their_sources() -> None:
    """The .mo that `make i18n-compile` writes holds exactly the .po (and a stale or missing .mo is not used)."""
    for lang in LANGS:
        compiled = _flat(read_mo(io.BytesIO(compile_mo(lang))))
        assert compiled == _entries(lang)
        loaded = load(lang)
        assert {**loaded.strings, **loaded.plurals} == compiled
        mo, po = mo_path(lang), mo_path(lang).with_suffix(".po")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            on_disk = _flat(read_mo(io.BytesIO(mo_path(lang).read_bytes())))
            assert on_disk == compiled, f"{mo_path(lang)} is stale: run make i18n-compile"


def test_every_key_written_in_the_code_and_templates_exists() -> None:
    """What `make i18n-extract` finds (tr("..."), text("..."), _("...") in templates...) is in the catalogue."""
    method_map = [("jo_app/**.py", "python"), ("jo_app/templates/**", "jinja2")]
    known = set(CATALOGUE) | set(load("fr").plurals)
    found: dict[str, str] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords=KEYWORDS):
        key = message[0] if isinstance(message, tuple) else message
        if key and KEY.match(key) and not filename.startswith("jo_app/models"):
            found[key] = filename
    assert len(found) > 300
    assert {k: f for k, f in found.items() if k not in known} == {}
