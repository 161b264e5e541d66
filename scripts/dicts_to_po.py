"""Convert the old hand-written catalogue dictionaries (`jo_app/i18n*.py`, `{"key": {"fr": ..., "en": ...}}`) into
the gettext catalogues `jo_app/locales/{fr,en}/LC_MESSAGES/messages.po` (msgid = the key, msgstr = the text).

Kept until every branch written against the old dictionaries is merged: a branch that added strings to
`jo_app/i18n_shop.py` (say) converts them with

    .venv/bin/python -m scripts.dicts_to_po --ref other-branch        # read jo_app/i18n*.py at that git ref
    .venv/bin/python -m scripts.dicts_to_po jo_app/i18n_shop.py      # or read files from the working tree

Only what the branch changed is applied: entries equal to the dictionaries at `--base` (default: the commit the
catalogues were converted from, CONVERTED_FROM) are skipped, so texts reworded since the conversion (in the .po
files) are not reverted. New keys are added to both .po files, changed texts updated, nothing is deleted; the
script prints what it did. `--base ""` applies everything (the first conversion). Pairs `key` / `key.one`
become one plural entry (msgstr[0] = `.one`, msgstr[1] = the other form). Then delete the old module again and
run `make i18n-compile` (or just the tests: the loader compiles stale catalogues).

The old modules are plain Python building dicts: each top-level statement is run on its own (imports of the app
and of Reflex are skipped, a statement that fails is skipped), then every `{key: {"fr", "en"}}` dict found in the
module's namespace (also inside tuples, e.g. the legal pages' `(strings, layout)`) is taken.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "jo_app" / "locales"
LANGS = ("fr", "en")
# gettext's classic rules (CLDR's French has a third form for millions, which this site never needs)
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);", "en": "nplurals=2; plural=(n != 1);"}
HEADER = {"fr": "# JO E-Tickets: French UI strings. msgid = stable key; see docs/i18n.md.",
          "en": "# JO E-Tickets: English UI strings. msgid = stable key; see docs/i18n.md."}
Entry = dict[str, str]
# One namespace for service error messages now (`err.<DomainError code>`): the old per-area copies are renamed.
RENAMES = (("err.shop.", "err."), ("err.admin.", "err."))
CONVERTED_FROM = "fd01699"  # main when the dictionaries became .po files


def _is_catalogue(value: Any) -> bool:
    return (isinstance(value, dict) and bool(value)
            and all(isinstance(k, str) and isinstance(v, dict) and set(v) == set(LANGS) for k, v in value.items()))


def _found(value: Any) -> list[dict[str, Entry]]:
    if _is_catalogue(value):
        return [value]
    if isinstance(value, tuple | list):
        return [d for item in value for d in _found(item)]
    return []


def entries_from_source(source: str, name: str) -> dict[str, Entry]:
    """Every catalogue entry an old i18n module defines."""
    namespace: dict[str, Any] = {"__name__": f"legacy_{name}"}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import | ast.ImportFrom | ast.ClassDef):
            continue
        try:
            exec(compile(ast.Module(body=[node], type_ignores=[]), name, "exec"), namespace)
        except Exception:  # statements needing the app (the old merge loop) are irrelevant here
            continue
    result: dict[str, Entry] = {}
    for value in list(namespace.values()):
        for catalogue in _found(value):
            result.update(catalogue)
    return result


def _sources(paths: list[str], ref: str | None) -> list[tuple[str, str]]:
    if ref:
        listed = subprocess.run(["git", "ls-tree", "--name-only", ref, "jo_app/"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.split()
        names = [p for p in listed if Path(p).name.startswith("i18n") and p.endswith(".py")]
        return [(p, subprocess.run(["git", "show", f"{ref}:{p}"], cwd=ROOT, check=True, capture_output=True,
                                   text=True).stdout) for p in names]
    files = [Path(p) for p in paths] or sorted((ROOT / "jo_app").glob("i18n*.py"))
    return [(str(p), p.read_text(encoding="utf-8")) for p in files if p.is_file()]


def _load(lang: str) -> Catalog:
    path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
    if path.exists():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
    else:
        catalog = Catalog(locale=lang, domain="messages", project="JO E-Tickets", version="1", fuzzy=False,
                          header_comment=HEADER[lang])
    catalog.mime_headers = [("Plural-Forms", PLURAL_FORMS[lang])]
    return catalog


def renamed(entries: dict[str, Entry]) -> tuple[dict[str, Entry], list[str]]:
    """`entries` with the RENAMES applied; a renamed key that already exists keeps the first wording (reported)."""
    result: dict[str, Entry] = {k: v for k, v in entries.items() if not k.startswith(tuple(o for o, _ in RENAMES))}
    dropped: list[str] = []
    for key in sorted(entries.keys() - result.keys()):
        old, new = next((o, n) for o, n in RENAMES if key.startswith(o))
        target = new + key[len(old):]
        if target in result and result[target] != entries[key]:
            dropped.append(key)
        else:
            result[target] = entries[key]
    return result, dropped


def merge(entries: dict[str, Entry]) -> dict[str, list[str]]:
    """Merge `entries` into both .po files; returns {"added": [...], "changed": [...], "dropped": [...]}."""
    entries, dropped = renamed(entries)
    report: dict[str, list[str]] = {"added": [], "changed": [], "dropped": dropped}
    plural_bases = {k[: -len(".one")] for k in entries if k.endswith(".one") and k[: -len(".one")] in entries}
    for lang in LANGS:
        catalog = _load(lang)
        for key in sorted(entries):
            if key.endswith(".one") and key[: -len(".one")] in plural_bases:
                continue
            if key in plural_bases:
                msgid: Any = (key, key)
                string: Any = (entries[f"{key}.one"][lang], entries[key][lang])
            else:
                msgid, string = key, entries[key][lang]
            old = catalog.get(key)
            if old is None:
                catalog.add(msgid, string)
                if lang == LANGS[0]:
                    report["added"].append(key)
            elif old.string != string or (old.id != msgid):
                catalog.delete(key)
                catalog.add(msgid, string, locations=old.locations, auto_comments=old.auto_comments)
                if lang == LANGS[0]:
                    report["changed"].append(key)
        path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=120, sort_output=True, omit_header=False)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="old i18n*.py files (default: jo_app/i18n*.py in the work tree)")
    parser.add_argument("--ref", help="read jo_app/i18n*.py from this git ref instead")
    parser.add_argument("--base", default=CONVERTED_FROM, help="skip entries equal to the dictionaries at this ref")
    args = parser.parse_args(argv)
    entries: dict[str, Entry] = {}
    for name, source in _sources(args.paths, args.ref):
        found = entries_from_source(source, Path(name).stem)
        clash = {k for k in found.keys() & entries.keys() if found[k] != entries[k]}
        if clash:
            print(f"conflicting definitions in {name}: {sorted(clash)}", file=sys.stderr)
            return 1
        entries.update(found)
        print(f"{name}: {len(found)} entries")
    if args.base:
        base: dict[str, Entry] = {}
        for name, source in _sources([], args.base):
            base.update(entries_from_source(source, Path(name).stem))
        entries = {k: v for k, v in entries.items() if base.get(k) != v}
        # a changed singular/plural half brings its pair along (they form one .po entry)
        for key in list(entries):
            pair = key[: -len(".one")] if key.endswith(".one") else f"{key}.one"
            if pair in base and pair not in entries:
                entries[pair] = base[pair]
        print(f"{len(entries)} entries differ from {args.base}")
    report = merge(entries)
    print(f"added {len(report['added'])}: {' '.join(report['added'])}")
    print(f"changed {len(report['changed'])}: {' '.join(report['changed'])}")
    print(f"renamed onto an existing err.<code> with other wording, kept the existing one: {report['dropped']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
