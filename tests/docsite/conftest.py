"""Fixtures of the docs generator tests: inputs from the real synthesized stacks, rendered once.

Building the site with mkdocs is :func:`tests.support.docs.mkdocs_build`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from covaex.docsite.inputs import Inputs, load_data, load_stacks
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


@pytest.fixture(scope="session")
def site(rendered: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``mkdocs build --strict`` of the rendered pages, once per run (the site, the deck and the rendering checks
    read it; none writes to it)."""
    from tests.support.docs import mkdocs_build

    return mkdocs_build(tmp_path_factory.mktemp("site"), rendered)
