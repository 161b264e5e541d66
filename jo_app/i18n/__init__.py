"""User-facing text in French (default) and English: gettext catalogues under jo_app/locales/, read with Babel.

Plain Python (services, mails, PDF, tests; no Reflex imported):
- `text(key, lang, **values)`: the string `key` with `{name}` placeholders filled; unknown languages -> French.
- `ntext(key, n, lang, **values)`: a counted phrase, the plural form chosen by the language's rule; `{n}` gets `n`
  formatted for the language.
- `error_key(error)`: the one mapping from a service error to its message key (`jo_app.i18n.errors`).
- `CATALOGUE[key] == {"fr": ..., "en": ...}` (singular entries), `LEGAL_PAGES`, formats in `jo_app.i18n.formats`.

Reactive helpers for the Reflex pages (`tr`, `tr_var`, `tr_count`, `num`, `page_title`, `LangState`,
`sync_html_lang`) live in `jo_app.i18n.reactive` and are importable from here too (loaded on first use, so a
service importing `jo_app.i18n` never imports Reflex). The catalogue reaches the browser compiled into the pages:
both languages' strings sit in the page and `LangState.lang` picks one, so switching language costs no round trip.
"""

from __future__ import annotations

import re
from typing import Any

from jo_app.i18n.catalog import DEFAULT_LANG, LANGS, load
from jo_app.i18n.errors import error_key
from jo_app.i18n.formats import format_number

__all__ = ["CATALOGUE", "DEFAULT_LANG", "DYNAMIC_PREFIXES", "LANGS", "LANG_COOKIE", "LEGAL_PAGES", "error_key",
           "normalize_lang", "ntext", "text"]

LANG_COOKIE = "jo_lang"
DYNAMIC_PREFIXES = ("err.", "msg.", "rule.")  # keys held in state vars, shipped to the browser by LangState
_REACTIVE = frozenset({"LangState", "tr", "tr_var", "tr_count", "num", "number_in", "page_title", "sync_html_lang"})


def normalize_lang(lang: str | None) -> str:
    """`lang` if supported, else the default (the cookie is client-writable: never trust it)."""
    return lang if lang in LANGS else DEFAULT_LANG


def text(key: str, lang: str | None = DEFAULT_LANG, **values: Any) -> str:
    """The string `key` in `lang`, with `{name}` placeholders filled from `values`. KeyError if unknown."""
    template = load(normalize_lang(lang)).strings[key]
    return template.format(**values) if values else template


def plural_forms(key: str, lang: str | None) -> tuple[str, ...]:
    """The forms of the plural entry `key` in `lang`, by plural index. KeyError if unknown."""
    return load(normalize_lang(lang)).plurals[key]


def ntext(key: str, n: int, lang: str | None = DEFAULT_LANG, **values: Any) -> str:
    """The plural entry `key` for `n` in `lang` ("1 session" / "0 session" in French, "0 sessions" in English)."""
    catalog = load(normalize_lang(lang))
    template = catalog.plurals[key][catalog.plural_index(n)]
    return template.format(**{"n": format_number(n, catalog.lang), **values})


CATALOGUE: dict[str, dict[str, str]] = {
    key: {lang: load(lang).strings[key] for lang in LANGS} for key in load(DEFAULT_LANG).strings
}


def _legal_pages() -> dict[str, list[tuple[str, list[str]]]]:
    """Each legal page's sections in order, (heading key, [paragraph keys]), from the `<page>.s<n>.h|p<m>` keys."""
    pattern = re.compile(r"^(privacy|legalnotice|terms)\.s(\d+)\.(h|p(\d+))$")
    pages: dict[str, dict[int, tuple[str, list[tuple[int, str]]]]] = {}
    for key in CATALOGUE:
        match = pattern.match(key)
        if match:
            page, section = match.group(1), int(match.group(2))
            heading, paragraphs = pages.setdefault(page, {}).get(section, (f"{page}.s{section}.h", []))
            if match.group(4):
                paragraphs.append((int(match.group(4)), key))
            pages[page][section] = (heading, paragraphs)
    return {page: [(h, [k for _, k in sorted(ps)]) for _, (h, ps) in sorted(sections.items())]
            for page, sections in pages.items()}


LEGAL_PAGES = _legal_pages()


def __getattr__(name: str) -> Any:
    if name in _REACTIVE:
        from jo_app.i18n import reactive

        return getattr(reactive, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
