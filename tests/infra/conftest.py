"""Fixtures of the infrastructure tests: the synthesized stacks as parsed JSON, and small in-process synths.

The whole app is synthesized once per run by the session ``synthesized``
fixture (tests/conftest.py); tests read its JSON (helpers: ``stack_json.py``).
Variants that the real environments do not exercise (a switch turned off, a
different setting) are synthesized in-process from a single construct with
``cdktf.Testing``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest

from covaex.synth import SynthResult
from covaex.topology.tfjson import read_json
from tests.infra.stack_json import Json, SynthConstruct

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


@pytest.fixture(scope="session")
def stacks(synthesized: SynthResult) -> dict[str, Json]:
    """Every synthesized stack, by name, parsed."""
    return {name: read_json(synthesized.stack_json(name)) for name in synthesized.stacks}


@pytest.fixture(scope="session")
def dev(stacks: dict[str, Json]) -> Json:
    return stacks["tobe-v1-dev"]


@pytest.fixture(scope="session")
def prod(stacks: dict[str, Json]) -> Json:
    return stacks["tobe-v1-prod"]


@pytest.fixture(scope="session")
def synth_construct() -> SynthConstruct:
    """Synthesize what ``build(stack)`` adds to an empty stack (with the AWS provider) and return its JSON."""
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    def synth(build: Callable[[Any], object]) -> Json:
        app = Testing.app()
        stack = TerraformStack(app, "test")
        AwsProvider(stack, "aws", region="ap-northeast-2")
        build(stack)
        parsed: Json = json.loads(Testing.synth(stack))
        return parsed

    return synth
