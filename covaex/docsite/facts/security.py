"""EPIC 2 security pages: the security-group matrix (tier x tier x port) and IAM roles.

The SG matrix is computed from every SG rule the topology model reads
(inline and separate rule resources, ingress and egress turned to flows);
IAM roles come with the actions their inline and attached policies allow.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from covaex.docsite.facts.stackfacts import per_stack, readable, refs
from covaex.docsite.inputs import Inputs
from covaex.docsite.tfjson import Resource, TerraformDoc
from covaex.docsite.topology import stack_topology
from covaex.topology.entities import SgRule


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
    """Per stack: ``cells`` (source x destination tier with ports) and the raw ``rules``."""

    def matrix(doc: TerraformDoc) -> dict[str, Any]:
        rules = stack_topology(inputs, doc.stack).sg_rules
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

    return per_stack(inputs, ("aws_security_group",), matrix)


def _tier_key(name: str) -> tuple[int, str]:
    order = {"internet": 0, "on-prem": 1, "public": 2, "edge": 2, "app": 3, "data": 4}
    return (order.get(name, 5), name)


def _rule_key(rule: SgRule) -> tuple[str, str, str]:
    return (rule.source, rule.destination, rule.address)


@dataclass(frozen=True)
class Role:
    address: str
    name: str
    trusted: tuple[str, ...]
    statements: tuple[tuple[str, str, str], ...]  # (effect, actions, resources)
    managed: tuple[str, ...]
    boundary: str


def iam_roles(inputs: Inputs) -> dict[str, list[Role]]:
    """Per stack: each role, who may assume it, and what its policies allow."""
    return per_stack(inputs, ("aws_iam_role",), _roles)


def _roles(doc: TerraformDoc) -> list[Role]:
    policies = {p.address: p for p in doc.resources("aws_iam_policy")}
    documents = {f"data.{d.address}": d for d in doc.data_sources("aws_iam_policy_document")}
    out = []
    for role in doc.resources("aws_iam_role"):
        statements: list[tuple[str, str, str]] = []
        managed: list[str] = []
        for inline in doc.resources("aws_iam_role_policy"):
            if role.address in refs(doc, inline.get("role")) or inline.get("role") == role.get("name"):
                statements += _statements(inline.get("policy"), documents, doc)
        for att in doc.resources("aws_iam_role_policy_attachment"):
            if role.address not in refs(doc, att.get("role")) and att.get("role") != role.get("name"):
                continue
            attached = [policies[a] for a in refs(doc, att.get("policy_arn")) if a in policies]
            if attached:
                for pol in attached:
                    statements += _statements(pol.get("policy"), documents, doc)
            else:
                managed.append(str(att.get("policy_arn")))
        managed += [str(a) for a in role.get("managed_policy_arns") or []]
        for block_ in role.get("inline_policy") or []:
            statements += _statements(block_.get("policy"), documents, doc)
        trusted = tuple(_principals(role.get("assume_role_policy"), documents, doc))
        out.append(
            Role(
                address=role.address,
                name=readable(role.get("name") or role.get("name_prefix") or role.name),
                trusted=trusted,
                statements=tuple(sorted(set(statements))),
                managed=tuple(sorted(managed)),
                boundary=readable(role.get("permissions_boundary")) if role.get("permissions_boundary") else "-",
            )
        )
    return out


def _policy_json(value: Any, documents: dict[str, Resource], doc: TerraformDoc) -> list[dict[str, Any]]:
    """Statements of a policy given as a JSON string, or as a reference to a policy document."""
    # A policy is a JSON string (possibly holding ${...} tokens as values) or a reference to a policy document.
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return []
        stmts = parsed.get("Statement", [])
        return [stmts] if isinstance(stmts, dict) else list(stmts)
    out: list[dict[str, Any]] = []
    for address in refs(doc, value):
        source = documents.get(address)
        if source is None:
            continue
        for st in source.get("statement") or []:
            out.append(
                {
                    "Effect": st.get("effect", "Allow"),
                    "Action": st.get("actions", []),
                    "Resource": st.get("resources", []),
                    "Principal": {p.get("type", "?"): p.get("identifiers", []) for p in st.get("principals") or []},
                }
            )
    return out


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [readable(v) for v in value] if isinstance(value, list) else [readable(value)]


def _statements(value: Any, documents: dict[str, Resource], doc: TerraformDoc) -> list[tuple[str, str, str]]:
    return [
        (
            str(st.get("Effect", "Allow")),
            ", ".join(sorted(_as_list(st.get("Action") or st.get("NotAction")))),
            ", ".join(sorted(_as_list(st.get("Resource") or st.get("NotResource")))),
        )
        for st in _policy_json(value, documents, doc)
    ]


def _principals(value: Any, documents: dict[str, Resource], doc: TerraformDoc) -> list[str]:
    found: set[str] = set()
    for st in _policy_json(value, documents, doc):
        principal = st.get("Principal") or {}
        if isinstance(principal, str):
            found.add(principal)
            continue
        for kind, ids in principal.items():
            found.update(f"{kind}: {i}" for i in _as_list(ids))
    return sorted(found)
