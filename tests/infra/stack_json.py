"""The infrastructure tests' view of synthesized stacks: parsed JSON by stack, resources by type or address.

Stacks are read with :func:`covaex.topology.tfjson.read_json`, the one reader of
Terraform JSON (the docs and ``covaex diff`` use it too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Json = dict[str, Any]
INFRA_STACKS = ("state", "tobe-v1-dev", "tobe-v1-prod")

SynthConstruct = Callable[[Callable[[Any], object]], Json]


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
