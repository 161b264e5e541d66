"""`make i18n-update`: add the keys found by `make i18n-extract` (jo_app/locales/messages.pot) to both .po files.

The .po files are the source of truth and msgids are keys, some only built at run time (`err.<code>`,
`gate.status.<status>`...): unlike `pybabel update`, nothing is ever marked obsolete or removed. New keys get an
empty msgstr, which the catalogue test refuses until both languages are written. Prints what it did, and the
keys of the catalogue that no source mentions literally (candidates for removal, to check by hand).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "jo_app" / "locales"
KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


def _key(message_id: object) -> str:
    return message_id[0] if isinstance(message_id, tuple | list) else str(message_id)


def main() -> int:
    with (LOCALES / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    wanted = {_key(m.id): m for m in template if m.id and KEY.match(_key(m.id))}
    for lang in ("fr", "en"):
        path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        added = sorted(k for k in wanted if catalog.get(k) is None)
        for key in added:
            catalog.add(wanted[key].id, "" if isinstance(wanted[key].id, str) else ("",) * catalog.num_plurals)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=120, sort_output=True)
        unused = sorted(_key(m.id) for m in catalog if m.id and _key(m.id) not in wanted)
        print(f"{lang}: added {len(added)} {' '.join(added)}")
        print(f"{lang}: {len(unused)} keys not written literally in the sources (dynamic or unused)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
