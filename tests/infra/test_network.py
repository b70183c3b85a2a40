"""Network construct: CIDR plan, tiers per AZ, NAT per environment, routes, flow logs, locked default SG."""

from __future__ import annotations

import ipaddress

import pytest
from infraforge.constructs.config import NetworkConfig, plan_subnets
from infraforge.environments import PROFILES

from tests.infra.stack_json import Json, SynthConstruct, resource, resources

AZS = ("ap-northeast-2a", "ap-northeast-2c")


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_three_tiers_in_each_of_two_azs_inside_the_vpc(env: str, stacks: dict[str, Json]) -> None:
    stack = stacks[f"tobe-v1-{env}"]
    vpc = ipaddress.ip_network(resource(stack, "aws_vpc.vpc")["cidr_block"])
    subnets = resources(stack, "aws_subnet")
    assert sorted(subnets) == ["app_a", "app_c", "data_a", "data_c", "public_a", "public_c"]
    networks = []
    for name, subnet in subnets.items():
        tier, suffix = name.split("_")
        assert subnet["availability_zone"] == f"ap-northeast-2{suffix}"
        assert subnet["tags"]["Tier"] == tier
        assert subnet["map_public_ip_on_launch"] is False
        network = ipaddress.ip_network(subnet["cidr_block"])
        assert network.subnet_of(vpc)  # type: ignore[arg-type]
        networks.append(network)
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :])


def test_dev_runs_one_nat_and_prod_one_per_az(dev: Json, prod: Json) -> None:
    # dev's one NAT is an instance (tests/infra/test_first_apply.py), in AZ a like its NAT gateway was
    assert sorted(resources(dev, "aws_instance")) == ["nat"]
    assert sorted(resources(prod, "aws_nat_gateway")) == ["nat_a", "nat_c"]
    assert resource(dev, "aws_route.app_c_nat")["network_interface_id"] == (
        "${aws_instance.nat.primary_network_interface_id}"
    )
    assert resource(prod, "aws_route.app_c_nat")["nat_gateway_id"] == "${aws_nat_gateway.nat_c.id}"
    assert resource(prod, "aws_nat_gateway.nat_c")["subnet_id"] == "${aws_subnet.public_c.id}"


def test_route_tables_per_tier(prod: Json) -> None:
    assert resource(prod, "aws_route.public_internet")["gateway_id"] == "${aws_internet_gateway.igw.id}"
    routes = resources(prod, "aws_route")
    data_routes = [r for r in routes.values() if r["route_table_id"] == "${aws_route_table.data.id}"]
    assert data_routes == [], "data subnets have no route to the internet"
    assoc = resources(prod, "aws_route_table_association")
    assert assoc["data_c"]["route_table_id"] == "${aws_route_table.data.id}"
    assert assoc["app_c"]["route_table_id"] == "${aws_route_table.app_c.id}"
    assert assoc["public_a"]["route_table_id"] == "${aws_route_table.public.id}"


@pytest.mark.parametrize("env", list(PROFILES))
def test_flow_logs_follow_the_environment_profile(env: str, stacks: dict[str, Json]) -> None:
    stack, profile = stacks[f"tobe-v1-{env}"], PROFILES[env]
    flow = resource(stack, "aws_flow_log.vpc")
    assert flow["traffic_type"] == profile.flow_log_traffic_type
    assert flow["max_aggregation_interval"] == profile.flow_log_aggregation_seconds
    assert flow["log_destination"] == "${aws_cloudwatch_log_group.flow_logs.arn}"
    assert resource(stack, "aws_cloudwatch_log_group.flow_logs")["retention_in_days"] == profile.flow_log_retention_days


def test_prod_keeps_every_flow_a_year_and_dev_the_refused_ones(prod: Json) -> None:
    assert resource(prod, "aws_flow_log.vpc")["traffic_type"] == "ALL"
    assert resource(prod, "aws_cloudwatch_log_group.flow_logs")["retention_in_days"] >= 365
    assert PROFILES["dev"].flow_log_traffic_type == "REJECT"
    with pytest.raises(ValueError, match="flow_log_aggregation_seconds must be 60 or 600"):
        NetworkConfig(
            name="t", vpc_cidr="10.99.0.0/16", availability_zones=AZS, single_nat=True, flow_log_aggregation_seconds=300
        )


def test_locked_default_security_group(prod: Json) -> None:
    default_sg = resource(prod, "aws_default_security_group.default")
    assert not default_sg.get("ingress") and not default_sg.get("egress")


@pytest.mark.aws_provider
def test_single_nat_is_a_switch(synth_construct: SynthConstruct) -> None:
    from infraforge.constructs.network import Network

    config = NetworkConfig(name="t", vpc_cidr="10.99.0.0/16", availability_zones=AZS, single_nat=False)
    out = synth_construct(lambda stack: Network(stack, "network", config))
    assert sorted(resources(out, "aws_nat_gateway")) == ["nat_a", "nat_c"]
    assert sorted(resources(out, "aws_eip")) == ["nat_a", "nat_c"]


def test_cidr_plan_is_written_once_and_checked() -> None:
    plan = plan_subnets("10.10.0.0/16", 2)
    assert plan == {
        "public": ("10.10.0.0/24", "10.10.1.0/24"),
        "data": ("10.10.8.0/24", "10.10.9.0/24"),
        "app": ("10.10.16.0/20", "10.10.32.0/20"),
    }
    with pytest.raises(ValueError, match="/16"):
        NetworkConfig(name="t", vpc_cidr="10.10.0.0/20", availability_zones=AZS, single_nat=True)
    with pytest.raises(ValueError, match="exactly two AZs"):
        NetworkConfig(name="t", vpc_cidr="10.10.0.0/16", availability_zones=AZS[:1], single_nat=True)
    with pytest.raises(ValueError, match="not a valid network"):
        NetworkConfig(name="t", vpc_cidr="10.10.0.300/16", availability_zones=AZS, single_nat=True)


def test_s3_is_reached_through_a_free_gateway_endpoint_from_every_private_route_table(stacks: dict[str, Json]) -> None:
    """The artifact, ECR's layers (S3) and log delivery skip the NAT; priced free because it is a Gateway."""
    for name, stack in stacks.items():
        for address, endpoint in resources(stack, "aws_vpc_endpoint").items():
            assert endpoint["vpc_endpoint_type"] == "Gateway", f"{name}: {address} is priced as free (prices.yaml)"
    for env in ("dev", "prod"):
        stack = stacks[f"tobe-v1-{env}"]
        s3 = resource(stack, "aws_vpc_endpoint.s3")
        assert s3["service_name"] == "com.amazonaws.ap-northeast-2.s3"
        private = {f"${{aws_route_table.{n}.id}}" for n in resources(stack, "aws_route_table") if n != "public"}
        assert set(s3["route_table_ids"]) == private and private
