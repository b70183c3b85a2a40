"""Hybrid link: a site-to-site VPN from the VPC to the on-prem network.

To-Be v1 keeps the private on-prem side (the existing box and its network)
and reaches it over IPsec: a customer gateway for the on-prem device, a
virtual private gateway on the VPC, a VPN connection with static routing
(two tunnels, one per AWS endpoint) and a static route to the on-prem CIDR.
The VPN gateway propagates that route into the private route tables (app and
data), so the app tier can reach on-prem services without touching the
internet. Switched off by ``enabled=False`` (no resources at all).

One connection has two tunnels, but both end on the one on-prem device: that
device or its uplink is a single point of failure (``SPOF-VPN-01``).
``second_peer_ip`` adds a second on-prem device with its own customer gateway,
connection and static route on the same VPN gateway (addresses ``*.onprem_b``);
no environment sets it yet (the "cost of resilience" variant
``vpn-second-connection`` prices it, :mod:`infraforge.variants`).

One customer gateway per environment: AWS answers ``CreateCustomerGateway``
with the existing gateway when type, IP address and ASN match one, so two
stacks declaring the same peer would adopt one gateway (tag fights, and
destroying dev would fail while prod uses it). Each environment declares its
own private ASN (RFC 6996; AWS keeps 64512): ``onprem_bgp_asn`` of its profile
in :mod:`infraforge.environments`. With static routing the ASN is only an
identifier, never spoken in a BGP session.

Routing is not permission: the app tier's security group opens no port towards
on-prem yet; each on-prem service the app comes to use gets its own egress
rule in :mod:`infraforge.constructs.security_groups`, naming its port.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.customer_gateway import CustomerGateway
from cdktf_cdktf_provider_aws.vpn_connection import VpnConnection
from cdktf_cdktf_provider_aws.vpn_connection_route import VpnConnectionRoute
from cdktf_cdktf_provider_aws.vpn_gateway import VpnGateway
from cdktf_cdktf_provider_aws.vpn_gateway_route_propagation import VpnGatewayRoutePropagation
from constructs import Construct

from infraforge.constructs.config import VpnConfig
from infraforge.constructs.network import Network


class SiteToSiteVpn(Construct):
    """Customer gateway, VPN gateway, VPN connection and routes. Outputs: :attr:`connection` (or None)."""

    def __init__(self, scope: Construct, id_: str, config: VpnConfig, network: Network) -> None:
        super().__init__(scope, id_)
        self.config = config
        self.connection: VpnConnection | None = None
        self.second_connection: VpnConnection | None = None
        if not config.enabled:
            return
        config.check_against(network.config.vpc_cidr)
        vpn_gateway = VpnGateway(self, "vpn_gateway", vpc_id=network.vpc.id, tags={"Name": f"{config.name}-vgw"})
        vpn_gateway.override_logical_id("vgw")
        self.connection = self._link("", config.peer_ip, vpn_gateway)
        self.second_connection = (
            None if config.second_peer_ip is None else self._link("_b", config.second_peer_ip, vpn_gateway)
        )
        for table in network.private_route_tables:
            # The table's logical id (app_a, app_c, data) names its propagation too.
            name = table.friendly_unique_id
            propagation = VpnGatewayRoutePropagation(
                self, f"propagation_{name}", vpn_gateway_id=vpn_gateway.id, route_table_id=table.id
            )
            propagation.override_logical_id(name)

    def _link(self, suffix: str, peer_ip: str, vpn_gateway: VpnGateway) -> VpnConnection:
        """One on-prem device: its customer gateway, connection (two tunnels) and static route (``onprem<suffix>``)."""
        config = self.config
        customer_gateway = CustomerGateway(
            self,
            f"customer_gateway{suffix}",
            bgp_asn=str(config.bgp_asn),
            ip_address=peer_ip,
            type="ipsec.1",
            tags={"Name": f"{config.name}-onprem{suffix.replace('_', '-')}"},
        )
        customer_gateway.override_logical_id(f"onprem{suffix}")
        connection = VpnConnection(
            self,
            f"connection{suffix}",
            customer_gateway_id=customer_gateway.id,
            vpn_gateway_id=vpn_gateway.id,
            type="ipsec.1",
            static_routes_only=True,
            tags={"Name": f"{config.name}-onprem{suffix.replace('_', '-')}"},
        )
        connection.override_logical_id(f"onprem{suffix}")
        route = VpnConnectionRoute(
            self, f"route{suffix}", vpn_connection_id=connection.id, destination_cidr_block=config.onprem_cidr
        )
        route.override_logical_id(f"onprem{suffix}")
        return connection
