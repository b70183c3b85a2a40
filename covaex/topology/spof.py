"""SPOF analysis: `spof_findings(topology) -> list[Finding]`.

Runs every per-resource rule of `spof_rules.RULES`, then the AZ-loss graph
check: for each AZ (or on-prem zone) it removes what that AZ takes down and
walks the request path users -> edge -> entry -> app -> data again. A hop
breaks when a data store that was reachable is lost, or a whole role (all
entries, all app servers) is lost. A break already explained by a
per-resource finding is added to that finding's evidence; anything else
becomes ``SPOF-AZ-01``.

`Finding` fields: ``id`` (stable rule id), ``severity`` (high|medium|low),
``resources`` (Terraform addresses, sorted), ``title``, ``evidence`` (the
attribute values that prove it), ``remediation``, ``basis`` (Well-Architected
/ Security Hub references). Findings are sorted by severity, id, resources.
"""

from __future__ import annotations

import dataclasses

from covaex.topology.entities import REQUEST_ROLES, Node, Topology
from covaex.topology.spof_rules import RESOURCE_CHECKS, RULES, SEVERITY_ORDER, Finding, Rule, finding, request_path
from covaex.topology.tfjson import as_bool

__all__ = ["RULES", "Finding", "Rule", "az_loss_breaks", "spof_findings", "spof_nodes"]


def spof_findings(topology: Topology) -> list[Finding]:
    """Every SPOF of the topology, most severe first."""
    findings = [f for check in RESOURCE_CHECKS for f in check(topology)]
    for az, broken in az_loss_breaks(topology).items():
        unexplained = set(broken)
        for i, existing in enumerate(findings):
            hit = set(broken) & set(existing.resources)
            if hit:
                note = f"그래프 검사: {az}를 잃으면 {', '.join(sorted(hit))}가 멈추고 요청 경로가 끊김."
                findings[i] = dataclasses.replace(existing, evidence=f"{existing.evidence}. {note}")
                unexplained -= hit
        if unexplained:
            findings.append(
                finding(
                    "SPOF-AZ-01",
                    unexplained,
                    f"{az}가 멈추면 다음에 닿을 수 있는 것이 남지 않음: {', '.join(sorted(unexplained))}",
                )
            )
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.id, f.resources))


def spof_nodes(findings: list[Finding]) -> frozenset[str]:
    """Addresses to mark in diagrams: every resource of a high or medium finding."""
    return frozenset(r for f in findings if f.severity in ("high", "medium") for r in f.resources)


def _failover_azs(node: Node) -> tuple[str, ...]:
    """AZs whose survival keeps the node serving; a group without failover needs its primary."""
    if node.kind == "aws_elasticache_replication_group" and not as_bool(node.attrs.get("automatic_failover_enabled")):
        return node.azs[:1]
    return node.azs


def az_loss_breaks(topology: Topology) -> dict[str, list[str]]:
    """AZ -> the request-path nodes whose loss breaks the path when that AZ goes down."""
    base = request_path(topology)
    on_path = [n for n in topology.nodes if n.address in base and n.role in REQUEST_ROLES]
    result: dict[str, list[str]] = {}
    for az in topology.azs:

        def alive(node: Node, lost: str = az) -> bool:
            return not node.azs or any(a != lost for a in _failover_azs(node))

        reach = request_path(topology, alive)
        broken = {n.address for n in on_path if n.role == "data" and not alive(n)}
        for role in ("edge", "entry", "app"):
            members = [n for n in on_path if n.role == role]
            if members and not any(n.address in reach for n in members):
                broken |= {n.address for n in members if not alive(n)}
        if broken:
            result[az] = sorted(broken)
    return result
