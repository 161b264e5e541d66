"""The e-mailed codes as tests see them: find one in a mail body, or make a well-formed wrong one."""

from __future__ import annotations

import re

CODE_RE = re.compile(r"\b([0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5})\b")


def code_in(text: str) -> str | None:
    """The code ("XXXXX-XXXXX") in a mail body, or None."""
    found = CODE_RE.search(text)
    return found.group(1) if found else None


def other_code(code: str) -> str:
    """A well-formed code that differs from `code` in its first symbol."""
    return ("1" if code[0] != "1" else "2") + code[1:]
