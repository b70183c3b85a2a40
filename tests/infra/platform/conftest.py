"""Synthesized Platform v2 stacks, shared by every platform test.

The stacks come from the session-wide ``synthesized`` fixture (one synth of
the whole app, cached by source hash) when the app registers them; if the
app cannot synthesize or does not list them, they are synthesized here
in-process with cdktf's ``Testing`` app, so these tests never depend on
another area's progress.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

PLATFORM_STACKS = ("platform-v2-dev", "platform-v2-prod", "platform-v2-registry")
ENV_STACKS = ("platform-v2-dev", "platform-v2-prod")


def _from_app(request: pytest.FixtureRequest) -> dict[str, Path] | None:
    try:
        result = request.getfixturevalue("synthesized")
    except Exception:  # the app as a whole may not synthesize yet
        return None
    if not all(stack in result.stacks for stack in PLATFORM_STACKS):
        return None
    return {stack: result.stack_json(stack) for stack in PLATFORM_STACKS}


def _in_process(out: Path) -> dict[str, Path]:
    import os

    from cdktf import Testing
    from infraforge.app import read_app_config
    from infraforge.inputs import DOCS_EXAMPLE_DEFAULTS
    from infraforge.platform.stacks import add_platform_stacks

    app = Testing.app()
    # the inputs the app's own synth uses (covaex synth: --docs-example)
    config = read_app_config(os.environ, app.node.try_get_context, DOCS_EXAMPLE_DEFAULTS)
    paths: dict[str, Path] = {}
    for stack in add_platform_stacks(app, config.shared, config.platforms):
        path = out / stack.node.id / "cdk.tf.json"
        path.parent.mkdir(parents=True)
        path.write_text(Testing.synth(stack))
        paths[stack.node.id] = path
    return paths


@pytest.fixture(scope="session")
def platform_paths(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Stack name -> its ``cdk.tf.json``."""
    return _from_app(request) or _in_process(tmp_path_factory.mktemp("platform-synth"))


@pytest.fixture(scope="session")
def platform_text(platform_paths: dict[str, Path]) -> dict[str, str]:
    """Stack name -> synthesized JSON text (what cdktf's ``Testing`` assertions take)."""
    return {stack: path.read_text() for stack, path in platform_paths.items()}


@pytest.fixture(scope="session")
def platform_json(platform_text: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Stack name -> parsed Terraform JSON."""
    return {stack: json.loads(text) for stack, text in platform_text.items()}
