"""The one adapter between ``covaex diff`` and the model: what a stack's JSON means for a review.

    stack_facts(stack, doc, prices) -> StackFacts(findings, monthly_cost, exposure, grants)
    load_prices()                   -> the dated price table (templates/data/prices.yaml)

Every ingredient the diff compares is reached through here and nowhere else:
SPOF findings (``covaex spof``'s rules and report shape), the fixed monthly
cost (the cost page's computation), network exposure (the SG rules of the
topology model) and IAM grants (the security page's role statements). When
the Terraform JSON reader changes, this module is the only one to repoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from covaex.analysis.cost import PRICE_TABLE, monthly_cost
from covaex.analysis.iam import role_policies
from covaex.errors import CliError
from covaex.topology.model import build_topology
from covaex.topology.report import findings_json
from covaex.topology.spof import spof_findings
from covaex.topology.tfjson import TerraformDoc

WORLD = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True, order=True)
class Exposure:
    """Traffic a security group admits from outside any security group (a CIDR or a prefix list)."""

    address: str  # the rule resource, or the security group that holds it inline
    group: str
    protocol: str
    ports: str
    source: str

    @property
    def world(self) -> bool:
        return self.source in WORLD

    @property
    def detail(self) -> str:
        what = "all traffic" if self.protocol == "all" else f"{self.protocol}/{self.ports}"
        whence = f"{self.source} (the whole internet)" if self.world else self.source
        return f"{what} from {whence} to {self.group}"


@dataclass(frozen=True)
class StackFacts:
    findings: tuple[Mapping[str, Any], ...]  # `covaex spof --format json` findings, with "stack"
    monthly_cost: float
    exposure: frozenset[Exposure]
    grants: Mapping[str, frozenset[str]]  # IAM role address -> allowed actions and attached managed policy ARNs


def load_prices() -> Mapping[str, Any]:
    path = PRICE_TABLE
    try:
        prices: Mapping[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CliError(f"{path}: cannot read the price table: {exc}") from None
    return prices


def stack_facts(stack: str, doc: Mapping[str, Any], prices: Mapping[str, Any]) -> StackFacts:
    tf = TerraformDoc(stack, dict(doc))
    topology = build_topology(tf)
    findings = tuple({**f, "stack": stack} for f in findings_json(spof_findings(topology))["findings"])
    exposure = frozenset(
        Exposure(rule.address.split("#", 1)[0], rule.destination, rule.protocol, rule.ports, rule.source)
        for rule in topology.sg_rules
        if rule.direction == "ingress" and not rule.source.startswith("aws_security_group.")
    )
    return StackFacts(findings, monthly_cost(tf, prices).total, exposure, _grants(tf))


def _grants(tf: TerraformDoc) -> dict[str, frozenset[str]]:
    return {
        role.address: frozenset(
            {a for st in role.statements if st.effect == "Allow" for a in st.actions} | set(role.managed)
        )
        for role in role_policies(tf)
    }


def draw(stack: str, doc: Mapping[str, Any], out: Path, *, title: str) -> None:
    """The stack's topology diagram with its SPOF marks, as ``covaex diagram`` draws it."""
    from covaex.topology.render import render_diagram  # the diagrams library loads only for drawing

    render_diagram(build_topology(doc, name=stack), out, title=title)
