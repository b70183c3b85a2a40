"""Shared helpers for facts read per stack: which stacks hold a resource type, readable values.

A page about, say, the ASG shows one content tab per stack that declares an
``aws_autoscaling_group``; until some stack does, the section is pending.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from covaex.analysis.values import readable as readable  # noqa: PLC0414 - re-exported for the facts modules (mypy)
from covaex.docsite.inputs import Inputs, story_order
from covaex.docsite.sections import PendingInput
from covaex.topology.tfjson import Resource, TerraformDoc

T = TypeVar("T")


def stacks_with(inputs: Inputs, *types: str) -> list[TerraformDoc]:
    """Stacks declaring at least one resource of any of ``types``; pending when none does."""
    found = [
        inputs.stacks[name]
        for name in sorted(inputs.stacks, key=story_order)
        if any(inputs.stacks[name].count(t) for t in types)
    ]
    if not found:
        raise PendingInput(f"no synthesized stack declares {' / '.join(types)} yet")
    return found


def per_stack(inputs: Inputs, types: tuple[str, ...], fn: Callable[[TerraformDoc], T]) -> dict[str, T]:
    return {doc.stack: fn(doc) for doc in stacks_with(inputs, *types)}


def refs(doc: TerraformDoc, value: Any) -> list[str]:
    """Addresses of this stack's resources referenced anywhere in ``value``, sorted."""
    return doc.refs(value)


def settings(resource: Resource, keys: tuple[str, ...]) -> list[tuple[str, str]]:
    """``(key, readable value)`` for the keys present in a resource, in the given order."""
    return [(k, readable(resource.get(k))) for k in keys if k in resource.config]
