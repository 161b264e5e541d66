"""Loading the gettext catalogues `jo_app/locales/<lang>/LC_MESSAGES/messages.{po,mo}` (plain Python, no Reflex).

msgids are stable keys ("nav.home"), msgstrs the texts with `{name}` placeholders; plural entries (msgid_plural
== msgid) hold one form per plural category of the language's `Plural-Forms` rule. The compiled `.mo` (built by
`make i18n-compile`) is read when it is at least as new as its `.po`; otherwise the `.po` is compiled in memory
(fresh checkouts, tests, a branch that just edited a `.po`), so the `.po` files are the only source of truth.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
LANGS = ("fr", "en")
DEFAULT_LANG = "fr"


@dataclass(frozen=True)
class LangCatalog:
    """One language's strings: `strings[key]` (singular entries), `plurals[key]` (forms by plural index)."""

    lang: str
    strings: dict[str, str]
    plurals: dict[str, tuple[str, ...]]
    plural_expr: str  # a C expression of `n` giving the form index; valid JavaScript too
    translations: Translations  # gettext/ngettext for Jinja2 templates

    def plural_index(self, n: int) -> int:
        return self.translations.plural(int(n))


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def read_source(lang: str) -> Catalog:
    """The `.po` catalogue of `lang`."""
    with po_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def compile_mo(lang: str) -> bytes:
    """The `.mo` bytes compiled from the `.po` of `lang` (what `pybabel compile` writes)."""
    out = io.BytesIO()
    write_mo(out, read_source(lang), use_fuzzy=False)
    return out.getvalue()


def _mo_bytes(lang: str) -> bytes:
    po, mo = po_path(lang), mo_path(lang)
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return mo.read_bytes()
    log.info("i18n: %s is missing or older than its .po; compiling in memory (run `make i18n-compile`)", mo)
    return compile_mo(lang)


@cache
def load(lang: str) -> LangCatalog:
    """The catalogue of `lang` (one of LANGS), loaded once per process."""
    data = _mo_bytes(lang)
    catalog = read_mo(io.BytesIO(data))
    strings: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if not message.id:
            continue  # the header
        if isinstance(message.id, tuple | list):
            plurals[message.id[0]] = tuple(message.string)
        else:
            strings[message.id] = message.string
    return LangCatalog(lang=lang, strings=strings, plurals=plurals, plural_expr=catalog.plural_expr,
                       translations=Translations(fp=io.BytesIO(data), domain=DOMAIN))
