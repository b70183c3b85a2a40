"""What the docs tests share: ``mkdocs build --strict`` of a rendered tree (outside the work tree), and
stacks changed on purpose (:func:`mutated`)."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from covaex.docsite.inputs import Inputs
from covaex.docsite.paths import DOCS_DIR, REPO_ROOT
from covaex.docsite.sync import write_tree
from covaex.topology.tfjson import TerraformDoc

Mutation = Callable[[dict[str, Any]], None]
"""A change to one stack's Terraform JSON, in place."""


def mutated(inputs: Inputs, changes: Mapping[str, Mutation]) -> Inputs:
    """``inputs`` with each named stack's JSON changed (a copy: the session's stacks stay as synthesized)."""
    stacks = dict(inputs.stacks)
    for stack, change in changes.items():
        raw = copy.deepcopy(dict(inputs.stack(stack).raw))
        change(raw)
        stacks[stack] = TerraformDoc(stack, raw)
    return Inputs(stacks=stacks, data=inputs.data)


def mkdocs_build(tmp: Path, generated: dict[str, bytes], screenshots: Path | None = None) -> Path:
    """``mkdocs build --strict`` of a copy of docs/ holding ``generated`` (and ``screenshots``, else none,
    whatever this machine built); returns the site folder."""
    docs = tmp / "docs"
    shutil.copytree(DOCS_DIR, docs, ignore=shutil.ignore_patterns("generated", "screenshots"))
    write_tree(docs / "generated", generated)
    if screenshots is not None:
        shutil.copytree(screenshots, docs / "screenshots")
    config = (REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("docs_dir: docs", f"docs_dir: {docs}")
    config = config.replace("covaex/docsite/mkdocs_hooks.py", str(REPO_ROOT / "covaex/docsite/mkdocs_hooks.py"))
    # `watch:` only matters to `mkdocs serve`, and its paths are relative to the real config.
    config = re.sub(r"^watch:\n(?:  - .*\n)+", "", config, flags=re.M)
    (tmp / "mkdocs.yml").write_text(config, encoding="utf-8")
    site = tmp / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(tmp / "mkdocs.yml"), "-d", str(site)],
        capture_output=True,
        text=True,
        check=False,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return site
