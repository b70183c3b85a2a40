"""What the diagrams show, checked on the scene (no rendering)."""

from __future__ import annotations

from collections.abc import Callable

from covaex.topology.layout import DrawCluster, Scene, build_scene
from covaex.topology.model import Topology
from covaex.topology.spof import spof_findings

TopologyOf = Callable[..., Topology]


def _scene(topology: Topology) -> Scene:
    return build_scene(topology, title="t", findings=spof_findings(topology))


def _find(clusters: tuple[DrawCluster, ...], style: str) -> list[DrawCluster]:
    found = []
    for c in clusters:
        found += [c] if c.style == style else []
        found += _find(c.children, style)
    return found


def test_vpc_holds_azs_side_by_side_holding_tiers(topology_of: TopologyOf) -> None:
    scene = _scene(topology_of())
    (vpc,) = _find(scene.clusters, "vpc")
    azs = [c for c in vpc.children if c.style == "az"]
    assert [a.label for a in azs] == ["AZ ap-northeast-2a", "AZ ap-northeast-2c"]
    assert [t.label for t in azs[0].children] == [
        "퍼블릭 서브넷 (public)\n10.20.0.0/24",
        "앱 서브넷 (private)\n10.20.10.0/24",
        "데이터 서브넷 (private)\n10.20.20.0/24",
    ]
    assert scene.direction == "TB"


def test_multi_az_resources_get_one_copy_per_az_connected_within_the_az(topology_of: TopologyOf) -> None:
    scene = _scene(topology_of())
    labels = {n.id: n.label for n in scene.all_nodes()}
    assert labels["aws_db_instance_postgres__ap_northeast_2a"] == "RDS postgres\n(기본 primary)"
    assert labels["aws_db_instance_postgres__ap_northeast_2c"] == "RDS postgres\n(대기 standby)"
    traffic = {(e.source, e.target, e.label) for e in scene.edges if e.style == "traffic"}
    asg_a, db_a = "aws_autoscaling_group_app__ap_northeast_2a", "aws_db_instance_postgres__ap_northeast_2a"
    assert (asg_a, db_a, "5432") in traffic
    assert not any(s.endswith("2a") and t.endswith("2c") for s, t, _ in traffic)


def test_plumbing_is_not_drawn_but_unknown_placed_types_are(topology_of: TopologyOf) -> None:
    addresses = {n.address for n in _scene(topology_of()).all_nodes()}
    assert "aws_some_future_thing.x" in addresses
    assert not {"aws_route_table.public", "aws_security_group.app", "aws_cloudwatch_metric_alarm.alb_5xx"} & addresses


def test_spof_nodes_carry_their_rule_ids(topology_of: TopologyOf) -> None:
    scene = _scene(topology_of("nat_shared"))
    marked = {n.address: n.spof_rules for n in scene.all_nodes() if n.spof_rules}
    assert marked == {"aws_nat_gateway.nat_a": ("SPOF-NAT-01",)}
    routes = {(e.source, e.target) for e in scene.edges if e.style == "route"}
    assert ("aws_autoscaling_group_app__ap_northeast_2c", "aws_nat_gateway_nat_a") in routes


def test_hybrid_view_draws_on_prem_and_the_vpn(topology_of: TopologyOf) -> None:
    scene = _scene(topology_of())
    (onprem,) = _find(scene.clusters, "onprem")
    assert [n.address for n in onprem.nodes] == ["aws_customer_gateway.idc_1", "aws_customer_gateway.idc_2"]
    assert sum(e.style == "vpn" for e in scene.edges) == 2


def test_customer_gateway_shows_its_address_and_on_prem_routes(topology_of: TopologyOf) -> None:
    labels = {n.address: n.label for n in _scene(topology_of()).all_nodes()}
    assert labels["aws_customer_gateway.idc_1"] == "CGW idc_1\n203.0.113.10\n-> 172.16.0.0/16"


def test_eks_view_draws_node_groups_per_az_under_the_cluster(topology_of: TopologyOf) -> None:
    scene = _scene(topology_of("eks"))
    control = {(e.source, e.target) for e in scene.edges if e.style == "control"}
    assert control == {
        ("aws_eks_cluster_main", "aws_eks_node_group_default__ap_northeast_2a"),
        ("aws_eks_cluster_main", "aws_eks_node_group_default__ap_northeast_2c"),
    }
    assert not any(n.address.startswith("aws_iam_role.") for n in scene.all_nodes())
