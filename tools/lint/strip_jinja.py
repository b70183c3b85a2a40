"""Copy Jinja HTML templates with the template syntax removed, for HTMLHint.

Usage: strip_jinja.py OUT_DIR FILE... ; each FILE is written to OUT_DIR/FILE.
Statements ``{% %}`` and comments ``{# #}`` vanish, expressions ``{{ }}``
become ``x``; newlines inside them are kept so reported line numbers match.
Both branches of an ``{% if %}`` stay in the copy, which is what a reviewer
reads too.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_STATEMENT_OR_COMMENT = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def strip_jinja(text: str) -> str:
    """Return ``text`` with Jinja syntax removed, newlines preserved."""
    text = _STATEMENT_OR_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    return _EXPRESSION.sub(lambda m: "x" + "\n" * m.group(0).count("\n"), text)


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0])
    for name in argv[1:]:
        target = out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(strip_jinja(Path(name).read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
