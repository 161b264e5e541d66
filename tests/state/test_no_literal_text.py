"""No user-visible text outside the catalogues: the Python sources are parsed (ast) and the mail templates read.

Heuristic (each rule fails on a planted example, see the last test):
- pages/, components/, state/: any string literal (docstrings, log calls, exceptions and their English messages
  for logs and API clients excepted) that reads as French (an accented letter) or as a phrase (two words), unless
  it is code (CSS, JavaScript);
- pages/, components/: any literal with a word given as a child to a Reflex component (`rx.text("Panier")`) or
  as a visible property (placeholder, aria_label, title, alt, label), and page titles (`add_page(title=...)`);
- services/: the calls that write user-facing documents: PDF drawing, mail subjects and bodies, calendar fields;
- templates/: text outside `{{ }}` / `{% %}` and HTML tags.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "jo_app"
UI_DIRS = ("pages", "components", "state")
WORDS = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿœŒ']{2,}[ \u00a0]+[A-Za-zÀ-ÖØ-öø-ÿœŒ']{2,}")
ACCENT = re.compile(r"[À-ÖØ-öø-ÿœŒ]")
A_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿœŒ]{2,}")
CODE = re.compile(r"[{};]|=>|\d+px|#[0-9a-fA-F]{3,6}\b")
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
NOT_TEXT_CALLS = {"cond", "match", "icon", "set_value", "redirect", "call_script", "script", "download", "Cookie",
                  "LocalStorage", "SessionStorage", "get_full_name", "foreach"}
VISIBLE_KWARGS = {"placeholder", "aria_label", "title", "alt", "label"}
DOCUMENT_SINKS = {"drawString", "drawCentredString", "drawRightString", "setTitle", "setSubject", "setAuthor",
                  "send_mail"}
CALENDAR_FIELDS = {"summary", "description", "location"}
# The allow-list: literals that look like text but are not shown to anyone as such.
ALLOWED = {
    ("state/accounts/account.py", "Mac OS X"),  # a product name matched in User-Agent strings
    ("state/gate/manual_entry.py", "No ticket or order with this number."),  # ScanResult's English log/API message
}


def _parents(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            child.parent = node  # type: ignore[attr-defined]


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _root(func: ast.expr) -> str:
    while isinstance(func, ast.Attribute):
        func = func.value
    return getattr(func, "id", "")


def _for_logs_or_errors(node: ast.AST) -> bool:
    parent = getattr(node, "parent", None)
    while parent is not None:
        if isinstance(parent, ast.Raise):
            return True
        if isinstance(parent, ast.Call):
            name = _name(parent.func)
            is_log = name in LOG_METHODS and isinstance(parent.func, ast.Attribute)
            if is_log or name.endswith(("Error", "Exception")):
                return True
        parent = getattr(parent, "parent", None)
    return False


def _literal_text(node: ast.AST) -> str | None:
    """The text of a str constant or an f-string (placeholders as {})."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def ui_findings(source: str, rel: str) -> list[str]:
    """Text literals in a page, component or state module."""
    tree = ast.parse(source)
    _parents(tree)
    docstrings, found = _docstrings(tree), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            value = node.value
            if (WORDS.search(value) or ACCENT.search(value)) and not CODE.search(value) \
                    and not _for_logs_or_errors(node):
                found.append(f"{rel}:{node.lineno}: {value!r}")
        if isinstance(node, ast.Call) and rel.startswith(("pages/", "components/")):
            if _root(node.func) == "rx" and _name(node.func) not in NOT_TEXT_CALLS:
                for arg in node.args:
                    text = _literal_text(arg)
                    if text and A_WORD.search(text):
                        found.append(f"{rel}:{arg.lineno}: child {text!r}")
            for keyword in node.keywords:
                text = _literal_text(keyword.value)
                if keyword.arg in VISIBLE_KWARGS and text and A_WORD.search(text):
                    found.append(f"{rel}:{keyword.value.lineno}: {keyword.arg}={text!r}")
    return found


def document_findings(source: str, rel: str) -> list[str]:
    """Text literals written into PDFs, mails and calendar files by a service."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        args = [*node.args, *(k.value for k in node.keywords)]
        if name in DOCUMENT_SINKS:
            for arg in args:
                text = _literal_text(arg)
                if text and A_WORD.search(text):
                    found.append(f"{rel}:{arg.lineno}: {name}({text!r})")
        if name == "add" and len(node.args) >= 2 and _literal_text(node.args[0]) in CALENDAR_FIELDS:
            text = _literal_text(node.args[1])
            if text and A_WORD.search(text):
                found.append(f"{rel}:{node.lineno}: calendar {text!r}")
    return found


def template_findings(source: str, rel: str) -> list[str]:
    """Words in a mail template outside expressions, statements and tags."""
    bare = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<[^>]*>", " ", source, flags=re.S)
    return [f"{rel}: {word!r}" for word in A_WORD.findall(bare)]


def _sources(*folders: str):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix()


def test_pages_components_and_states_take_their_text_from_the_catalogue() -> None:
    findings = [f for source, rel in _sources(*UI_DIRS) for f in ui_findings(source, rel)]
    unexpected = [f for f in findings if not any(f.startswith(f"{rel}:") and repr(text) in f for rel, text in ALLOWED)]
    assert unexpected == []
    assert len(findings) == len(ALLOWED)  # the allow-list holds nothing stale


def test_services_write_documents_from_the_catalogue() -> None:
    findings = [f for source, rel in _sources("services") for f in document_findings(source, rel)]
    assert findings == []


def test_mail_templates_hold_no_text_of_their_own() -> None:
    templates = sorted((ROOT / "templates").rglob("*.*"))
    assert len(templates) >= 16
    findings = [f for path in templates for f in template_findings(path.read_text(encoding="utf-8"), path.name)]
    assert findings == []


def test_the_heuristic_catches_planted_strings() -> None:
    """Each rule fires on a typical slip, and stays quiet on code and catalogue lookups."""
    page = '''
import reflex as rx
def view():
    return rx.vstack(rx.text("Panier"), rx.button(tr("nav.cart")), rx.input(placeholder="Your e-mail"),
                     rx.heading("Vos billets"), rx.box(border="1px solid #e5e7eb"), rx.text(" · "))
def register(app):
    app.add_page(view, title=f"Mes billets — {TITLE}")
'''
    assert {f.split(": ", 1)[1] for f in ui_findings(page, "pages/x.py")} == {
        "child 'Panier'", "placeholder='Your e-mail'", "'Vos billets'", "child 'Vos billets'",
        "title='Mes billets — {}'", "'Mes billets — '"}
    state = '''
class S:
    def go(self):
        log.info("order paid by user %s", 1)
        self.error = "Something went wrong"
        raise ValueError("Invalid value here")
'''
    assert [f.split(": ", 1)[1] for f in ui_findings(state, "state/x.py")] == ["'Something went wrong'"]
    service = '''
def draw(canvas, lang):
    canvas.drawString(1, 2, "How to use this ticket")
    canvas.drawString(1, 2, text("pdf.howto", lang))
    event.add("summary", "Finale du 100 m")
    send_mail(to, f"Order {ref} confirmed", body)
'''
    assert len(document_findings(service, "services/x.py")) == 3
    template = "{{ _('mail.x') }}\n<p>{{ greeting }}</p>\n<p>Merci !</p>"
    assert template_findings(template, "x.html") == ["x.html: 'Merci'"]
