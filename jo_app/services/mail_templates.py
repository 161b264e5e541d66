"""Mail bodies as Jinja2 templates (jo_app/templates/mail/<name>.txt and .html), rendered in one language.

`<name>.txt`: first line the subject, a blank line, then the plain-text body. `<name>.html` extends
`mail/base.html`; it is autoescaped (every user-supplied value is escaped), the .txt is not. Templates get `_(key,
**values)` and `_n(key, n, **values)` bound to the message's language (the gettext catalogue, `jo_app.i18n`),
`lang`, `greeting` ("Bonjour Léa," / "Hello,") and the builder's values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from jo_app.i18n import normalize_lang, ntext, text

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@cache
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATE_DIR), undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, keep_trailing_newline=True,
                       autoescape=select_autoescape(enabled_extensions=("html",), default=False))


def greeting(first_name: str | None, lang: str) -> str:
    name = " ".join((first_name or "").split())
    return text("mail.greeting", lang, name=name) if name else text("mail.greeting_plain", lang)


def render(name: str, lang: str | None, *, first_name: str | None = None, **values: Any) -> RenderedMail:
    """Subject, text and HTML of the mail template `name` in `lang` (French when unknown)."""
    lang = normalize_lang(lang)
    context = {"lang": lang, "greeting": greeting(first_name, lang), "_": partial(text, lang=lang),
               "_n": partial(_ntext, lang=lang), **values}
    env = environment()
    plain = env.get_template(f"mail/{name}.txt").render(context)
    subject, _, body = plain.partition("\n\n")
    html = env.get_template(f"mail/{name}.html").render(context)
    return RenderedMail(subject=text("mail.subject", lang, subject=subject.strip()),
                        text=_BLANK_LINES.sub("\n\n", body.strip()) + "\n", html=html)


def _ntext(key: str, n: int, *, lang: str, **values: Any) -> str:
    return ntext(key, n, lang, **values)
