"""The Reflex side of the catalogue: the visitor's language (`LangState`) and reactive translations for components.

- `tr(key, **values)`: both translations are compiled into the page and the browser picks one from
  `LangState.lang`, so switching language costs no round trip. Values may be Vars.
- `tr_var(key_var)`: a key only known at run time (an error code kept in a state var); limited to the keys
  under DYNAMIC_PREFIXES, which `LangState.messages` ships in the current language only (bundle stays small).
- `tr_count(key, n)`: a plural entry; the form is chosen in the browser by the catalogue's own `Plural-Forms`
  expression (a C expression, valid JavaScript), `{n}` gets `n` with the language's thousands separator.
- `LangState.lang` is persisted in a (non-secret, client-writable) cookie `jo_lang`: always validated.
"""

from __future__ import annotations

import re
from typing import Any

import reflex as rx

from jo_app.i18n import CATALOGUE, DEFAULT_LANG, DYNAMIC_PREFIXES, LANG_COOKIE, LANGS, normalize_lang, plural_forms
from jo_app.i18n.catalog import load
from jo_app.i18n.formats import LOCALES

_DYNAMIC = {lang: {k: v[lang] for k, v in CATALOGUE.items() if k.startswith(DYNAMIC_PREFIXES)} for lang in LANGS}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


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


# Numbers of live Vars are formatted by the browser with the language's thousands separator (fr: narrow no-break
# space, "19 211"; en: comma, "19,211"); server-side figures use Babel (jo_app.i18n.formats).
_NUMBER = rx.vars.FunctionStringVar.create("((n, l) => Number(n ?? 0).toLocaleString(l))")


def number_in(value: Any, lang: str) -> rx.Var:
    """`value` (a number Var) formatted for `lang`."""
    return _NUMBER.call(value, LOCALES[lang].replace("_", "-")).to(str)


def num(value: Any) -> rx.Var:
    """`value` (a number Var) with the thousands separators of the current language."""
    return rx.cond(_is_en(), number_in(value, "en"), number_in(value, "fr"))


def _plural_index(lang: str, n: Any) -> rx.Var:
    expr = load(lang).plural_expr
    return rx.vars.FunctionStringVar.create(f"((n) => Number({expr}))").call(n).to(int)


def tr_count(key: str, n: Any, **values: Any) -> rx.Var:
    """A counted phrase from the plural entry `key`; the `{n}` placeholder gets `n` with thousands separators."""

    def pick(lang: str) -> Any:
        forms = plural_forms(key, lang)
        filled = {**values, "n": number_in(n, lang)}
        index = _plural_index(lang, n)
        result = _fill(forms[-1], filled)
        for position in range(len(forms) - 2, -1, -1):
            result = rx.cond(index == position, _fill(forms[position], filled), result)
        return result

    return rx.cond(_is_en(), pick("en"), pick("fr"))
