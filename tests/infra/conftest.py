"""Fixtures of the infrastructure tests: the synthesized stacks as parsed JSON, and small in-process synths.

The whole app is synthesized once per run by the session ``synthesized``
fixture (tests/conftest.py); tests read its JSON. Variants that the real
environments do not exercise (a switch turned off, a different setting) are
synthesized in-process from a single construct with ``cdktf.Testing``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from covaex.synth import SynthResult

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

Json = dict[str, Any]
INFRA_STACKS = ("state", "tobe-v1-dev", "tobe-v1-prod")


@pytest.fixture(scope="session")
def stacks(synthesized: SynthResult) -> dict[str, Json]:
    """Every synthesized stack, by name, parsed."""
    return {name: json.loads(synthesized.stack_json(name).read_text()) for name in synthesized.stacks}


@pytest.fixture(scope="session")
def dev(stacks: dict[str, Json]) -> Json:
    return stacks["tobe-v1-dev"]


@pytest.fixture(scope="session")
def prod(stacks: dict[str, Json]) -> Json:
    return stacks["tobe-v1-prod"]


def resources(stack: Json, rtype: str) -> dict[str, Json]:
    """The resources of one type, by logical name (empty when there is none)."""
    found: dict[str, Json] = stack.get("resource", {}).get(rtype, {})
    return found


def resource(stack: Json, address: str) -> Json:
    """One resource by Terraform address (``aws_subnet.app_a``); fails the test when missing."""
    rtype, name = address.split(".", 1)
    found = resources(stack, rtype)
    assert name in found, f"{address} not in stack; have {sorted(found)}"
    return found[name]


def all_resources(stack: Json) -> Iterator[tuple[str, Json]]:
    """Every resource as (address, body)."""
    for rtype, named in stack.get("resource", {}).items():
        for name, body in named.items():
            yield f"{rtype}.{name}", body


SynthConstruct = Callable[[Callable[[Any], object]], Json]


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
