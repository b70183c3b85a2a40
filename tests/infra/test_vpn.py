"""Hybrid link: customer gateway, VPN gateway, static route to on-prem, propagation into private tables."""

from __future__ import annotations

from typing import Any

import pytest
from infraforge.constructs.config import NetworkConfig, VpnConfig
from infraforge.inputs import DEFAULTS

from tests.infra.stack_json import Json, SynthConstruct, resource, resources

AZS = ("ap-northeast-2a", "ap-northeast-2c")


def test_vpn_reaches_the_onprem_cidr(prod: Json) -> None:
    gateway = resource(prod, "aws_customer_gateway.onprem")
    assert gateway["ip_address"] == DEFAULTS["vpn_peer_ip"]
    assert gateway["type"] == "ipsec.1"
    connection = resource(prod, "aws_vpn_connection.onprem")
    assert connection["static_routes_only"] is True
    assert connection["vpn_gateway_id"] == "${aws_vpn_gateway.vgw.id}"
    assert resource(prod, "aws_vpn_connection_route.onprem")["destination_cidr_block"] == DEFAULTS["onprem_cidr"]
    assert resource(prod, "aws_vpn_gateway.vgw")["vpc_id"] == "${aws_vpc.vpc.id}"
    propagations = resources(prod, "aws_vpn_gateway_route_propagation")
    assert sorted(propagations) == ["app_a", "app_c", "data"]
    assert propagations["data"]["route_table_id"] == "${aws_route_table.data.id}"


def _vpn(stack: Any, config: VpnConfig) -> object:
    """The VPN construct on a network of its own; the construct modules (and the AWS provider) load only here."""
    from infraforge.constructs.network import Network
    from infraforge.constructs.vpn import SiteToSiteVpn

    network = Network(
        stack, "network", NetworkConfig(name="t", vpc_cidr="10.99.0.0/16", availability_zones=AZS, single_nat=True)
    )
    return SiteToSiteVpn(stack, "vpn", config, network)


@pytest.mark.aws_provider
def test_vpn_is_switched_by_config(synth_construct: SynthConstruct) -> None:
    off = VpnConfig(
        name="t", enabled=False, onprem_cidr="172.16.0.0/16", peer_ip="203.0.113.10", bgp_asn=65000, second_peer_ip=None
    )
    out = synth_construct(lambda stack: _vpn(stack, off))
    for rtype in ("aws_customer_gateway", "aws_vpn_gateway", "aws_vpn_connection", "aws_vpn_connection_route"):
        assert resources(out, rtype) == {}


@pytest.mark.aws_provider
def test_onprem_range_overlapping_the_vpc_is_refused(synth_construct: SynthConstruct) -> None:
    overlapping = VpnConfig(
        name="t", enabled=True, onprem_cidr="10.99.0.0/24", peer_ip="203.0.113.10", bgp_asn=65000, second_peer_ip=None
    )
    with pytest.raises(ValueError, match="overlaps the VPC"):
        synth_construct(lambda stack: _vpn(stack, overlapping))


@pytest.mark.aws_provider
def test_a_second_device_gets_its_own_gateway_connection_and_route(synth_construct: SynthConstruct) -> None:
    two = VpnConfig(
        name="t",
        enabled=True,
        onprem_cidr="172.16.0.0/16",
        peer_ip="203.0.113.10",
        bgp_asn=65000,
        second_peer_ip="203.0.113.11",
    )
    out = synth_construct(lambda stack: _vpn(stack, two))
    assert resources(out, "aws_customer_gateway")["onprem_b"]["ip_address"] == "203.0.113.11"
    second = resources(out, "aws_vpn_connection")["onprem_b"]
    assert second["customer_gateway_id"] == "${aws_customer_gateway.onprem_b.id}"
    # both connections end on the one VPN gateway of the VPC, both route the on-prem range
    assert second["vpn_gateway_id"] == resources(out, "aws_vpn_connection")["onprem"]["vpn_gateway_id"]
    assert len(resources(out, "aws_vpn_gateway")) == 1
    routes = resources(out, "aws_vpn_connection_route")
    assert {r["destination_cidr_block"] for r in routes.values()} == {"172.16.0.0/16"} and len(routes) == 2


@pytest.mark.aws_provider
def test_a_second_device_at_the_first_ones_address_is_refused(synth_construct: SynthConstruct) -> None:
    same = VpnConfig(
        name="t",
        enabled=True,
        onprem_cidr="172.16.0.0/16",
        peer_ip="203.0.113.10",
        bgp_asn=65000,
        second_peer_ip="203.0.113.10",
    )
    with pytest.raises(ValueError, match=r"second on-prem VPN device has the first one's address 203\.0\.113\.10"):
        synth_construct(lambda stack: _vpn(stack, same))
