"""SPOF rules: one broken fixture per rule is flagged with the right addresses,
its redundant counterpart is not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from covaex.topology.asis import asis_from_data, load_asis
from covaex.topology.model import Topology
from covaex.topology.spof import RULES, az_loss_breaks, spof_findings

TopologyOf = Callable[..., Topology]


def _found(topology: Topology) -> set[tuple[str, tuple[str, ...]]]:
    return {(f.id, f.resources) for f in spof_findings(topology)}


def test_redundant_fixture_has_no_finding(topology_of: TopologyOf) -> None:
    assert spof_findings(topology_of()) == []
    assert az_loss_breaks(topology_of()) == {}


BROKEN = [
    ("nat_shared", {("SPOF-NAT-01", ("aws_nat_gateway.nat_a",))}),
    ("rds_single_az", {("SPOF-RDS-01", ("aws_db_instance.postgres",))}),
    ("asg_one_az", {("SPOF-ASG-01", ("aws_autoscaling_group.app",))}),
    ("asg_min_one", {("SPOF-ASG-02", ("aws_autoscaling_group.app",))}),
    ("alb_one_az", {("SPOF-ALB-01", ("aws_lb.alb",))}),
    (
        "alb_no_health_check",
        {("SPOF-ALB-02", ("aws_autoscaling_group.app",)), ("SPOF-ALB-02", ("aws_lb_target_group.app",))},
    ),
    ("cache_single_node", {("SPOF-CACHE-01", ("aws_elasticache_replication_group.redis",))}),
    ("cache_no_failover", {("SPOF-CACHE-02", ("aws_elasticache_replication_group.redis",))}),
    ("ec2_lone", {("SPOF-EC2-01", ("aws_instance.legacy_web",))}),
    ("vpn_single", {("SPOF-VPN-01", ("aws_customer_gateway.idc_1", "aws_vpn_connection.idc_1"))}),
    ("aurora_one_az", {("SPOF-AZ-01", ("aws_rds_cluster.aurora",))}),
]


@pytest.mark.parametrize(("override", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_fixture_is_flagged_with_its_addresses(
    topology_of: TopologyOf, override: str, expected: set[tuple[str, tuple[str, ...]]]
) -> None:
    assert _found(topology_of(override)) == expected


def test_eks_node_group_in_one_az_with_one_node(topology_of: TopologyOf) -> None:
    assert _found(topology_of("eks")) == set()
    assert _found(topology_of("eks", "eks_one_az")) == {
        ("SPOF-EKS-01", ("aws_eks_node_group.default",)),
        ("SPOF-EKS-02", ("aws_eks_node_group.default",)),
    }


@pytest.mark.parametrize("override", ["nat_regional", "ec2_off_path", "aurora_two_az"])
def test_redundant_counterparts_are_not_flagged(topology_of: TopologyOf, override: str) -> None:
    assert spof_findings(topology_of(override)) == []


def test_every_rule_has_basis_and_remediation() -> None:
    for rule in RULES.values():
        assert rule.basis and rule.remediation and rule.severity in ("high", "medium", "low")
        assert any("Well-Architected" in b for b in rule.basis)


def test_findings_carry_evidence_values(topology_of: TopologyOf) -> None:
    (rds,) = spof_findings(topology_of("rds_single_az"))
    assert "multi_az = false" in rds.evidence
    assert "그래프 검사: ap-northeast-2a를 잃으면" in rds.evidence
    assert rds.severity == "high"
    assert any("RDS.5" in b for b in rds.basis)


def test_az_loss_names_the_az_and_the_lost_hop(topology_of: TopologyOf) -> None:
    assert az_loss_breaks(topology_of("asg_one_az")) == {"ap-northeast-2a": ["aws_autoscaling_group.app"]}


def test_asis_shows_its_spofs() -> None:
    asis = load_asis(Path(__file__).resolve().parents[2] / "diagrams" / "asis.yaml")
    found = _found(asis.topology)
    assert found == {
        ("SPOF-HOST-01", ("onprem_server.web01",)),
        ("SPOF-HOST-01", ("onprem_database.db01",)),
        ("SPOF-HOST-01", ("onprem_cache.redis01",)),
        ("SPOF-HOST-01", ("onprem_uplink.uplink",)),
        ("SPOF-HOST-01", ("onprem_firewall.fw01",)),
    }
    assert all(f.severity == "high" for f in spof_findings(asis.topology))


def test_asis_with_redundant_peers_is_not_flagged() -> None:
    data = {
        "nodes": [
            {"id": "lb", "kind": "onprem_lb", "role": "entry", "replicas": 2},
            {"id": "web", "kind": "onprem_server", "role": "app", "replicas": 3},
            {"id": "db", "kind": "onprem_database", "role": "data", "replicas": 2},
        ],
        "edges": [{"from": "internet", "to": "lb"}, {"from": "lb", "to": "web"}, {"from": "web", "to": "db"}],
    }
    assert spof_findings(asis_from_data(data).topology) == []
