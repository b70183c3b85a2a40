"""SPOF analysis on the project's own synthesized stacks.

Dev's expected findings are the low-cost trade-offs documented in
``infraforge.config`` (one NAT gateway, single-AZ PostgreSQL, one app
instance at rest); prod must have no high-severity finding. A stack that has
not landed yet is skipped with a reason.
"""

from __future__ import annotations

import pytest

from covaex.synth import SynthResult
from covaex.topology.model import Topology, build_topology
from covaex.topology.spof import spof_findings
from covaex.topology.terraform import read_terraform

pytestmark = pytest.mark.slow

DEV_TRADE_OFFS = {"SPOF-NAT-01", "SPOF-RDS-01", "SPOF-ASG-02"}


def _stack(synthesized: SynthResult, name: str) -> Topology:
    if name not in synthesized.stacks:
        pytest.skip(f"stack {name} has not landed yet")
    return build_topology(read_terraform(synthesized.stack_json(name)), name=name)


@pytest.mark.parametrize("stack", ["tobe-v1-prod", "platform-v2-prod"])
def test_prod_has_no_high_severity_finding(synthesized: SynthResult, stack: str) -> None:
    findings = spof_findings(_stack(synthesized, stack))
    assert [f for f in findings if f.severity == "high"] == []


def test_dev_findings_are_exactly_its_documented_trade_offs(synthesized: SynthResult) -> None:
    dev = {(f.id, f.resources) for f in spof_findings(_stack(synthesized, "tobe-v1-dev"))}
    prod = {(f.id, f.resources) for f in spof_findings(_stack(synthesized, "tobe-v1-prod"))}
    assert {rule for rule, _ in dev - prod} == DEV_TRADE_OFFS
    # whatever prod accepts (the single on-prem VPN device), dev shares when it has the VPN (off by default)
    assert {f for f in prod if f[0] != "SPOF-VPN-01"} <= dev


def test_every_v1_stack_has_its_request_path(synthesized: SynthResult) -> None:
    for name in ("tobe-v1-dev", "tobe-v1-prod"):
        topology = _stack(synthesized, name)
        kinds = {topology.node(e.target).kind for e in topology.edges_of("traffic") if topology.has(e.target)}
        assert {"aws_lb", "aws_autoscaling_group", "aws_db_instance", "aws_elasticache_replication_group"} <= kinds
