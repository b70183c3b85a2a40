"""Hybrid link: customer gateway, VPN gateway, static route to on-prem, propagation into private tables."""

from __future__ import annotations

import pytest
from infraforge.constructs.network import Network, NetworkConfig
from infraforge.constructs.vpn import SiteToSiteVpn, VpnConfig
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


def _network(stack: object) -> Network:
    config = NetworkConfig(name="t", vpc_cidr="10.99.0.0/16", availability_zones=AZS, single_nat=True)
    return Network(stack, "network", config)  # type: ignore[arg-type]


def test_vpn_is_switched_by_config(synth_construct: SynthConstruct) -> None:
    off = VpnConfig(name="t", enabled=False, onprem_cidr="172.16.0.0/16", peer_ip="203.0.113.10", bgp_asn=65000)
    out = synth_construct(lambda stack: SiteToSiteVpn(stack, "vpn", off, _network(stack)))
    for rtype in ("aws_customer_gateway", "aws_vpn_gateway", "aws_vpn_connection", "aws_vpn_connection_route"):
        assert resources(out, rtype) == {}


def test_onprem_range_overlapping_the_vpc_is_refused(synth_construct: SynthConstruct) -> None:
    overlapping = VpnConfig(name="t", enabled=True, onprem_cidr="10.99.0.0/24", peer_ip="203.0.113.10", bgp_asn=65000)
    with pytest.raises(ValueError, match="overlaps the VPC"):
        synth_construct(lambda stack: SiteToSiteVpn(stack, "vpn", overlapping, _network(stack)))
