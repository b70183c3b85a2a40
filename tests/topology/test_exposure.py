"""SG exposure over the real environment union: Platform v2 opens the v1 data tier, nothing opens it to all."""

from __future__ import annotations

from covaex.synth import SynthResult
from covaex.topology.exposure import cross_stack, internet_exposed, reaching
from covaex.topology.model import build_topology
from covaex.topology.tfjson import load_stack, union_stacks


def test_platform_rules_on_v1_groups_are_cross_stack_and_the_data_tier_is_not_public(
    synthesized: SynthResult,
) -> None:
    docs = [load_stack(s, synthesized.stack_json(s)) for s in ("tobe-v1-prod", "platform-v2-prod")]
    topo = build_topology(union_stacks("prod", docs))
    crossing = {r.address for r in cross_stack(topo)}
    assert {
        "aws_vpc_security_group_ingress_rule.db_from_eks",
        "aws_vpc_security_group_ingress_rule.cache_from_eks",
    } <= crossing
    assert all(r.stack == "platform-v2-prod" for r in cross_stack(topo))
    public = {r.destination for r in internet_exposed(topo)}
    assert "aws_security_group.db" not in public and "aws_security_group.cache" not in public
    assert {r.source for r in reaching(topo, "aws_security_group.db")} >= {"aws_eks_cluster.main"}


def test_a_lone_stack_has_no_cross_stack_rule(synthesized: SynthResult) -> None:
    topo = build_topology(load_stack("tobe-v1-prod", synthesized.stack_json("tobe-v1-prod")))
    assert cross_stack(topo) == []
