"""Fixtures of the docs generator tests: inputs from the real synthesized stacks, rendered once."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from covaex.docsite.inputs import Inputs, load_data, load_stacks
from covaex.docsite.paths import DOCS_DIR, REPO_ROOT
from covaex.docsite.sync import write_tree
from covaex.synth import SynthResult


@pytest.fixture(scope="session")
def real_inputs(synthesized: SynthResult) -> Inputs:
    """The pages' inputs from the real synthesized stacks (the session's one synth)."""
    return Inputs(stacks=load_stacks(synthesized), data=load_data())


@pytest.fixture(scope="session")
def rendered(real_inputs: Inputs) -> dict[str, bytes]:
    """Every generated file, rendered once per run from the real inputs."""
    from covaex.docsite.build import render_site
    from covaex.progress import Steps

    return render_site(real_inputs, Steps(3, quiet=True))


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
