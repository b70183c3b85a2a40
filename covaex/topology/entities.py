"""The plain data of a topology: nodes, edges, subnets, routes, SG rules.

Everything here is frozen and sorted so that two builds of the same input are
equal and render to the same bytes. `covaex.topology.model` builds these from
Terraform JSON, `covaex.topology.asis` from the As-Is inventory.

Vocabulary:

* ``address``: ``<type>.<name>`` exactly as in the Terraform JSON
  (``aws_nat_gateway.nat_a``; data sources ``data.<type>.<name>``). As-Is
  nodes use the same shape with on-prem kinds (``onprem_server.web01``). The
  synthetic request source is ``internet``.
* ``role``: where a node sits on the request path ``users -> edge -> entry
  -> app -> data``; ``network`` and ``other`` are off that path.
* ``azs``: the Availability Zones (or on-prem zones) that hold capacity of the
  node, sorted; empty for regional or zone-less things (IGW, S3, the VPC).
* ``tier``: ``public``, ``app`` or ``data`` (from the subnet ``Tier`` tag, then
  names), ``edge`` for on-prem perimeter, None when it does not apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["users", "edge", "entry", "app", "data", "network", "other"]
EdgeKind = Literal["traffic", "route", "vpn", "deploy", "control"]

INTERNET = "internet"
REQUEST_ROLES: tuple[Role, ...] = ("edge", "entry", "app", "data")


@dataclass(frozen=True)
class Node:
    """One resource (or As-Is component) with where it sits."""

    address: str
    kind: str
    name: str
    label: str
    role: Role
    azs: tuple[str, ...] = ()
    subnets: tuple[str, ...] = ()
    tier: str | None = None
    vpc: str | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    is_data: bool = False
    stack: str | None = None  # the stack declaring it, in an environment's union of stacks

    @property
    def tags(self) -> Mapping[str, str]:
        tags = self.attrs.get("tags")
        return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {}


@dataclass(frozen=True)
class Edge:
    """A path that carries traffic, with the ports and the resources that make it.

    ``kind`` is ``traffic`` (requests: listener -> target group -> ASG, or an SG
    rule between members), ``route`` (subnet -> NAT/IGW/VGW; ``source`` is the
    subnet address, ``ports`` holds the destination CIDRs), ``vpn`` (VGW/TGW ->
    customer gateway through a VPN connection), ``control`` (a control plane
    managing its workers: EKS cluster -> node group) or ``deploy`` (As-Is
    operator paths). ``via`` lists the listener, target group, SG rule or route table
    addresses that prove the edge.
    """

    source: str
    target: str
    kind: EdgeKind
    ports: tuple[str, ...] = ()
    via: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return ", ".join(self.ports)


@dataclass(frozen=True)
class Subnet:
    """A subnet for the CIDR plan: address, CIDR, AZ, tier, its route table."""

    address: str
    vpc: str | None
    cidr: str | None
    az: str | None
    tier: str | None
    public: bool
    route_table: str | None


@dataclass(frozen=True)
class Route:
    """One route: destination CIDR (or ``propagated``) to a target resource."""

    destination: str
    target: str
    target_kind: str


@dataclass(frozen=True)
class RouteTable:
    address: str
    vpc: str | None
    routes: tuple[Route, ...]
    subnets: tuple[str, ...]


@dataclass(frozen=True)
class SgRule:
    """One allowed flow: ``source`` (SG address or CIDR) to ``target_sg`` on ``ports``.

    Egress rules are turned around so that ``source`` is always where traffic
    starts: an egress rule of SG X towards CIDR C has ``source`` X and
    ``destination`` C. ``source_tier``/``target_tier`` are the tiers of the
    SGs (None for CIDRs). ``address`` is the rule resource, or
    ``<sg address>#ingress[<i>]`` for an inline rule.
    """

    address: str
    direction: Literal["ingress", "egress"]
    source: str
    destination: str
    protocol: str
    ports: str
    source_tier: str | None
    target_tier: str | None
    description: str = ""
    stack: str | None = None  # the stack declaring the rule, in an environment's union of stacks


@dataclass(frozen=True)
class Topology:
    """A whole topology; every collection sorted by address."""

    name: str
    origin: Literal["terraform", "asis"]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    subnets: tuple[Subnet, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    sg_rules: tuple[SgRule, ...] = ()
    site: str | None = None

    def node(self, address: str) -> Node:
        for node in self.nodes:
            if node.address == address:
                return node
        raise KeyError(address)

    def has(self, address: str) -> bool:
        return any(n.address == address for n in self.nodes)

    def of_kind(self, *kinds: str) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.kind in kinds and not n.is_data)

    @property
    def azs(self) -> tuple[str, ...]:
        """Every AZ some node has capacity in, sorted."""
        return tuple(sorted({az for n in self.nodes for az in n.azs}))

    def edges_of(self, *kinds: EdgeKind) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.kind in kinds)
