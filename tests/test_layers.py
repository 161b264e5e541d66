"""The layering, checked by parsing every module's imports (`ast`, nothing is imported).

pages/components -> state -> services -> models; api/ and the CLI call services (and web/ infrastructure); web/
(metrics, request ids, security headers, origins, redirects) sits under both state/ and api/; live/ (the socket.io
hub) serves state/; the composition roots (jo_app.jo_app, application, asgi, wiring, api.app) may import anything
and nothing imports them except another root. Any other arrow between layers fails, and so does an import cycle
between modules (module-level imports; an import inside a function is still checked for its direction).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "jo_app"
ROOTS = {"jo_app", "jo_app.jo_app", "jo_app.application", "jo_app.asgi", "jo_app.wiring", "jo_app.api.app"}
BASE = {"config", "timeutil", "db", "logging_setup"}  # shared plumbing, importable by every layer
ALLOWED = {  # layer -> the layers it may import (its own always)
    "ui": {"state", "i18n_ui", "i18n", "base", "models"},
    "state": {"services", "models", "web", "live", "i18n_ui", "i18n", "base"},
    "i18n_ui": {"i18n", "base"},
    "i18n": {"base"},
    "api": {"services", "models", "web", "i18n", "base"},
    "cli": {"services", "models", "i18n", "tooling", "base"},
    "tooling": {"services", "models", "base"},  # demo data and art generation, called by the CLI
    "web": {"services", "models", "i18n", "base"},
    "live": {"base"},
    "services": {"models", "i18n", "base"},
    "models": {"base"},
    "base": {"models"},
    "root": {"ui", "state", "i18n_ui", "i18n", "api", "cli", "tooling", "web", "live", "services", "models", "base"},
}
NO_REFLEX = {"services", "models", "web", "cli", "base", "i18n", "tooling"}
# The plain catalogue (`jo_app.i18n`: text, plurals, formats, error keys) serves every layer that writes text
# (mails, PDFs, API); its Reflex side (`jo_app.i18n.reactive`) only the pages and states. The package's lazy
# `__getattr__` may load the reactive side inside a function (a facade for the pages), never at import time.
LAZY = {("i18n", "i18n_ui")}


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    found = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def layer(module: str) -> str:
    if module in ROOTS:
        return "root"
    if module == "jo_app.i18n.reactive":
        return "i18n_ui"
    top = module.split(".")[1]
    if top in ("pages", "components"):
        return "ui"
    if top.startswith("i18n"):
        return "i18n"
    if top in BASE:
        return "base"
    return top  # state, services, models, api, web, live, cli


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(module: str, path: Path) -> Iterator[tuple[str, int, bool]]:
    """(imported name, line, at module level) of every import statement of the module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST, top: bool) -> Iterator[tuple[str, int, bool]]:
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):
                continue
            if isinstance(child, ast.Import):
                yield from ((alias.name, child.lineno, top) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package
                    for _ in range(child.level - 1):
                        anchor = anchor.rpartition(".")[0]
                    base = f"{anchor}.{base}" if base else anchor
                yield from ((f"{base}.{alias.name}", child.lineno, top) for alias in child.names)
            else:
                inner = top and not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                yield from visit(child, inner)

    yield from visit(tree, True)


def resolve(name: str, known: dict[str, Path]) -> str | None:
    """The project module `name` refers to (`from jo_app.services import audit` -> jo_app.services.audit)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def graph(known: dict[str, Path]) -> tuple[list[str], dict[str, set[str]]]:
    """Wrong arrows (messages) and the module-level import graph."""
    wrong, edges = [], {m: set() for m in known}
    for module, path in sorted(known.items()):
        source = layer(module)
        for name, line, top in imports(module, path):
            first = name.split(".")[0]
            if first in ("reflex", "reflex_base") and source in NO_REFLEX:
                wrong.append(f"{module}:{line} imports {name} (no Reflex below state/)")
            if first != "jo_app":
                continue
            target = resolve(name, known)
            if target is None or target == module or target == "jo_app":
                continue
            if top:
                edges[module].add(target)
            kind = layer(target)
            if (source, kind) in LAZY and not top:
                continue
            if kind != source and (kind == "root" or kind not in ALLOWED[source]):
                wrong.append(f"{module}:{line} ({source}) imports {target} ({kind})")
    return wrong, edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


def _is_package_init_edge(module: str, target: str) -> bool:
    """A package's __init__ importing its own submodule (a facade) is not a cycle between modules."""
    return target.startswith(module + ".")


def test_no_upward_or_sideways_import() -> None:
    wrong, _edges = graph(modules())
    assert wrong == [], "layering broken:\n" + "\n".join(wrong)


def test_no_import_cycle() -> None:
    _wrong, edges = graph(modules())
    edges = {m: {t for t in targets if not _is_package_init_edge(m, t)} for m, targets in edges.items()}
    found = cycles(edges)
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_checker_sees_a_bad_arrow_and_a_cycle(tmp_path: Path) -> None:
    """The checks themselves: a service importing a state, and two modules importing each other, are caught."""
    package = tmp_path / "jo_app"
    for folder in ("services", "state"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "services" / "a.py").write_text("from jo_app.services import b\n")
    (package / "services" / "b.py").write_text("from jo_app.services.a import x\nfrom jo_app.state import page\n")
    (package / "state" / "page.py").write_text("import reflex as rx\n")
    known = modules(package)
    wrong, edges = graph(known)
    assert wrong == ["jo_app.services.b:2 (services) imports jo_app.state.page (state)"]
    assert ["jo_app.services.a", "jo_app.services.b"] in cycles(edges)


# --- domain packages -------------------------------------------------------------------------------------------------
# services/, state/ and pages/ group their modules by domain (README "Layout"); what several domains share stays at
# the top of each folder. Arrows between domain packages, by the importing layer (an import from state/orders/ of
# services/catalog/ is ("state", "orders", "catalog")). A new arrow fails: list it here if the dependency is right,
# or go through a domain event (`services/events.py`) or a shared module instead.
DOMAINS = ("accounts", "catalog", "orders", "gate", "tickets")
DOMAIN_ARROWS = {
    # services: no cycle. Accepting a transfer may create the recipient's account (tickets -> accounts); erasing an
    # account (across accounts, orders, tickets) is services/privacy.py, above the domain packages.
    ("services", "catalog", "orders"), ("services", "catalog", "tickets"),
    ("services", "orders", "tickets"), ("services", "gate", "tickets"), ("services", "tickets", "accounts"),
    # states: the shop adds to the cart and opens the waiting room; "Mes billets" rows come from the orders; the
    # admin of on-sales picks events; the gate resolves the employee's session; logout releases the cart's holds.
    ("state", "catalog", "orders"), ("state", "orders", "catalog"), ("state", "orders", "tickets"),
    ("state", "tickets", "orders"), ("state", "gate", "accounts"), ("state", "accounts", "orders"),
    # pages
    ("pages", "catalog", "orders"), ("pages", "orders", "tickets"),
}


def domain(module: str) -> tuple[str, str] | None:
    """(layer folder, domain) of a module inside a domain package, None for the shared ones."""
    parts = module.split(".")
    if len(parts) > 3 and parts[1] in ("services", "state", "pages") and parts[2] in DOMAINS:
        return parts[1], parts[2]
    return None


def domain_arrows(known: dict[str, Path]) -> dict[tuple[str, str, str], list[str]]:
    """(importing layer, from domain, to domain) -> the imports that make the arrow."""
    found: dict[tuple[str, str, str], list[str]] = {}
    for module, path in sorted(known.items()):
        source = domain(module)
        if source is None:
            continue
        for name, line, _top in imports(module, path):
            target = resolve(name, known) if name.startswith("jo_app.") else None
            into = domain(target) if target else None
            if into and into[1] != source[1]:
                found.setdefault((source[0], source[1], into[1]), []).append(f"{module}:{line} -> {target}")
    return found


def test_domain_packages_are_no_facades() -> None:
    """A domain package's __init__.py holds its one-line docstring and nothing else (no re-exports)."""
    inits = [p for folder in ("services", "state", "pages") for p in sorted((PACKAGE / folder).glob("*/__init__.py"))]
    for init in inits:
        body = ast.parse(init.read_text()).body
        assert len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant), init
        assert init.parent.name in DOMAINS, f"{init.parent}: a new domain? add it to DOMAINS"


def test_no_new_arrow_between_domains() -> None:
    found = domain_arrows(modules())
    new = {arrow: where for arrow, where in found.items() if arrow not in DOMAIN_ARROWS}
    assert new == {}, "new arrows between domain packages:\n" + "\n".join(
        f"{arrow}: {', '.join(where[:3])}" for arrow, where in sorted(new.items()))


def test_listed_arrows_still_exist() -> None:
    """The list stays honest: an arrow that no import makes any more is struck from it (once the packages exist)."""
    known = modules()
    if not any(domain(module) for module in known):
        return
    stale = DOMAIN_ARROWS - set(domain_arrows(known))
    assert stale == set(), f"arrows listed but gone, strike them from DOMAIN_ARROWS: {sorted(stale)}"


MAX_MODULE_LINES = 300  # one concept per module: a longer file wants splitting


def test_no_module_over_300_lines() -> None:
    long = {str(path.relative_to(ROOT)): count for path in PACKAGE.rglob("*.py")
            if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}, long


def test_service_domains_form_no_cycle() -> None:
    """The domain rules stack: no cycle between services' domain packages (the states may call each other's)."""
    edges: dict[str, set[str]] = {}
    for layer_name, source, target in DOMAIN_ARROWS:
        if layer_name == "services":
            edges.setdefault(source, set()).add(target)
    assert cycles(edges) == []
