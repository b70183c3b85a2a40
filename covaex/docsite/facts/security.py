"""EPIC 2 security pages: the security-group matrix (tier x tier x port) and IAM roles.

The SG matrix is computed from every SG rule the topology model reads
(inline and separate rule resources, ingress and egress turned to flows);
IAM roles come with the actions their inline and attached policies allow
(read by :mod:`covaex.analysis.iam`, which ``covaex diff`` uses too).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from covaex.analysis.iam import PolicyError, ResourcePolicy, Role, resource_policies, role_policies
from covaex.docsite.facts.stackfacts import per_stack
from covaex.docsite.inputs import Inputs, environment_label, story_order
from covaex.docsite.sections import PendingInput
from covaex.docsite.topology import environment_topology
from covaex.topology.entities import SgRule

__all__ = ["PolicyError", "Role", "iam_roles", "resource_policy_pages", "role_policies", "sg_matrix"]


@dataclass(frozen=True)
class MatrixCell:
    source: str
    target: str
    ports: tuple[str, ...]
    rules: tuple[str, ...]


def _endpoint(label: str | None, address: str) -> str:
    """A tier name for SGs; the CIDR (``0.0.0.0/0`` as internet) otherwise."""
    if label:
        return label
    if address in ("0.0.0.0/0", "::/0"):
        return "internet"
    return address.removeprefix("aws_security_group.")


def sg_matrix(inputs: Inputs) -> dict[str, dict[str, Any]]:
    """Per environment (the union of its stacks): ``cells`` (source x destination tier with ports) and ``rules``.

    Per environment, not per stack: Platform v2 adds rules to v1's data-tier
    groups, which a per-stack matrix would hide from both stacks.
    """
    envs = inputs.environments()
    if not envs:
        raise PendingInput("no To-Be / Platform stack is synthesized yet")
    return {environment_label(env): _matrix(environment_topology(inputs, env).sg_rules) for env in envs}


def _matrix(rules: tuple[SgRule, ...]) -> dict[str, Any]:
    cells: dict[tuple[str, str], tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for rule in rules:
        src = _endpoint(rule.source_tier, rule.source)
        dst = _endpoint(rule.target_tier, rule.destination)
        ports, via = cells[(src, dst)]
        ports.add(f"{rule.protocol}/{rule.ports}" if rule.protocol not in ("tcp", "all") else rule.ports)
        via.add(rule.address)
    found = [MatrixCell(s, d, tuple(sorted(p)), tuple(sorted(v))) for (s, d), (p, v) in sorted(cells.items())]
    sources = sorted({c.source for c in found}, key=_tier_key)
    targets = sorted({c.target for c in found}, key=_tier_key)
    grid = {(c.source, c.target): c for c in found}
    return {
        "cells": found,
        "sources": sources,
        "targets": targets,
        "grid": grid,
        "rules": sorted(rules, key=_rule_key),
    }


def _tier_key(name: str) -> tuple[int, str]:
    order = {"internet": 0, "on-prem": 1, "public": 2, "edge": 2, "app": 3, "eks": 3, "data": 4}
    return (order.get(name, 5), name)


def _rule_key(rule: SgRule) -> tuple[str, str, str]:
    return (rule.source, rule.destination, rule.address)


def iam_roles(inputs: Inputs) -> dict[str, list[Role]]:
    """Per stack: each role, its trust policy and every statement its policies allow, conditions included."""
    return per_stack(inputs, ("aws_iam_role",), role_policies)


def resource_policy_pages(inputs: Inputs) -> dict[str, list[ResourcePolicy]]:
    """Per stack: the resource-based policies (section ``resource_policies``)."""
    out = {}
    for name in sorted(inputs.stacks, key=story_order):
        if found := resource_policies(inputs.stacks[name]):
            out[name] = found
    if not out:
        raise PendingInput("no synthesized resource carries a resource-based policy yet")
    return out
