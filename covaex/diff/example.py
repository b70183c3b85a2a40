"""The docs page's worked example: the real review of the two example folders.

``examples/base`` and ``examples/head`` (also the tests' fixtures) differ by
one of everything the review reports. The page shows exactly what
``covaex diff`` prints for them, so the example cannot drift from the command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from covaex.diff.markdown import render
from covaex.diff.review import review
from covaex.diff.sources import folder_side
from covaex.synth import REPO_ROOT

EXAMPLES = Path(__file__).resolve().parent / "examples"


def example(_inputs: object = None) -> dict[str, Any]:
    """``command``, the ``comment`` (md) and ``json`` it prints, the parsed ``review`` and the ``status``."""
    base, head = (EXAMPLES / "base", EXAMPLES / "head")
    labels = [p.relative_to(REPO_ROOT).as_posix() for p in (base, head)]
    result = review(folder_side(labels[0], base), folder_side(labels[1], head))
    data = result.to_json()
    return {
        "command": f"covaex diff {labels[0]} {labels[1]}",
        "comment": render(result, fail_on="high"),
        "json": json.dumps(data, ensure_ascii=False, indent=2),
        "review": data,
        "status": 1 if result.gate("high") else 0,
    }
