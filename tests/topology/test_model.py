"""The Terraform JSON model on the hand-written fixtures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from covaex.topology.model import INTERNET, Topology, build_topology

TopologyOf = Callable[..., Topology]


def _edge(topology: Topology, source: str, target: str) -> tuple[str, ...]:
    (edge,) = [e for e in topology.edges if e.source == source and e.target == target]
    return edge.ports


def test_nodes_know_role_azs_tier_and_vpc(topology_of: TopologyOf) -> None:
    t = topology_of()
    asg = t.node("aws_autoscaling_group.app")
    assert (asg.role, asg.azs, asg.tier, asg.vpc) == (
        "app",
        ("ap-northeast-2a", "ap-northeast-2c"),
        "app",
        "aws_vpc.main",
    )
    assert t.node("aws_db_instance.postgres").subnets == ("aws_subnet.data_a", "aws_subnet.data_c")
    assert t.node("aws_nat_gateway.nat_a").azs == ("ap-northeast-2a",)
    assert t.node("aws_internet_gateway.igw").azs == ()


def test_unknown_types_and_data_sources_stay_generic_nodes(topology_of: TopologyOf) -> None:
    t = topology_of()
    unknown = t.node("aws_some_future_thing.x")
    assert (unknown.role, unknown.azs, unknown.tier) == ("other", ("ap-northeast-2a",), "app")
    assert t.node("data.aws_caller_identity.current").is_data
    assert t.node("aws_cloudwatch_metric_alarm.alb_5xx").tags == {"Runbook": "alb-5xx"}


def test_traffic_follows_listener_target_group_asg_and_sg_rules(topology_of: TopologyOf) -> None:
    t = topology_of()
    assert _edge(t, INTERNET, "aws_internet_gateway.igw") == ("80/http", "443/https")
    assert _edge(t, "aws_internet_gateway.igw", "aws_lb.alb") == ("80/http", "443/https")
    assert _edge(t, "aws_lb.alb", "aws_autoscaling_group.app") == ("8000/http",)
    assert _edge(t, "aws_autoscaling_group.app", "aws_db_instance.postgres") == ("5432",)
    assert _edge(t, "aws_autoscaling_group.app", "aws_elasticache_replication_group.redis") == ("6379",)
    proof = next(e.via for e in t.edges if e.target == "aws_autoscaling_group.app")
    assert "aws_lb_listener.https" in proof and "aws_lb_target_group.app" in proof


def test_every_reference_is_not_an_edge(topology_of: TopologyOf) -> None:
    t = topology_of()
    assert not any(e.target == "aws_vpc.main" or e.target == "aws_eip.nat_a" for e in t.edges)


def test_route_tables_routes_and_subnets(topology_of: TopologyOf) -> None:
    t = topology_of()
    tables = {rt.address: rt for rt in t.route_tables}
    app_a = tables["aws_route_table.app_a"]
    assert app_a.subnets == ("aws_subnet.app_a",)
    assert [(r.destination, r.target) for r in app_a.routes] == [
        ("0.0.0.0/0", "aws_nat_gateway.nat_a"),
        ("propagated", "aws_vpn_gateway.vgw"),
    ]
    assert _edge(t, "aws_subnet.app_c", "aws_nat_gateway.nat_c") == ("0.0.0.0/0",)
    assert _edge(t, "aws_subnet.public_a", "aws_internet_gateway.igw") == ("0.0.0.0/0",)


def test_subnets_for_the_cidr_plan(topology_of: TopologyOf) -> None:
    subnets = {s.address: s for s in topology_of().subnets}
    assert len(subnets) == 6
    public_a = subnets["aws_subnet.public_a"]
    assert (public_a.cidr, public_a.az, public_a.tier, public_a.public) == (
        "10.20.0.0/24",
        "ap-northeast-2a",
        "public",
        True,
    )
    assert subnets["aws_subnet.data_c"].route_table == "aws_route_table.data"


def test_sg_rules_between_tiers_with_ports(topology_of: TopologyOf) -> None:
    rules = {(r.source_tier, r.target_tier, r.ports) for r in topology_of().sg_rules}
    assert {("public", "app", "8000"), ("app", "data", "5432"), ("app", "data", "6379")} <= rules
    assert (None, "public", "443") in rules


def test_vpn_edges_carry_their_connection(topology_of: TopologyOf) -> None:
    vpn = [e for e in topology_of().edges if e.kind == "vpn"]
    assert [(e.target, e.via) for e in vpn] == [
        ("aws_customer_gateway.idc_1", ("aws_vpn_connection.idc_1",)),
        ("aws_customer_gateway.idc_2", ("aws_vpn_connection.idc_2",)),
    ]


def test_same_input_same_model(topology_of: TopologyOf) -> None:
    assert topology_of() == topology_of()


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.just("${aws_subnet.a.id}"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "aws_subnet",
                "aws_lb",
                "aws_lb_listener",
                "aws_security_group",
                "aws_route_table",
                "aws_db_instance",
                "aws_autoscaling_group",
                "aws_vpn_connection",
                "x_unknown",
            ]
        ),
        st.dictionaries(st.sampled_from(["a", "b"]), _json, max_size=2),
        max_size=5,
    )
)
def test_any_shape_of_resource_builds_without_crashing(resources: dict[str, Any]) -> None:
    topology = build_topology({"resource": resources}, name="fuzz")
    assert topology.has(INTERNET)


def test_asg_attached_through_a_traffic_source_still_gets_the_listener_edge(topology_of: TopologyOf) -> None:
    assert _edge(topology_of("asg_traffic_source"), "aws_lb.alb", "aws_autoscaling_group.app") == ("8000/http",)
