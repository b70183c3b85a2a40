"""EPIC 2 network pages: the CIDR plan and the route tables, per stack.

Both come from the topology model (``covaex.topology``), which reads the
subnets, route tables, routes and associations of the synthesized JSON.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import PendingInput
from covaex.docsite.topology import stack_topology
from covaex.topology.entities import RouteTable, Subnet

AWS_RESERVED_PER_SUBNET = 5  # network, VPC router, DNS, future use, broadcast
TIER_ORDER = {"public": 0, "app": 1, "data": 2}


@dataclass(frozen=True)
class CidrRow:
    subnet: Subnet
    addresses: int
    usable: int


@dataclass(frozen=True)
class VpcPlan:
    stack: str
    vpc: str
    cidr: str
    rows: tuple[CidrRow, ...]
    allocated: int
    total: int
    overlaps: tuple[str, ...]


def network_stacks(inputs: Inputs) -> list[str]:
    names = [s for s in sorted(inputs.stacks) if inputs.stacks[s].count("aws_subnet")]
    if not names:
        raise PendingInput("no synthesized stack declares subnets yet")
    return names


def cidr_plan(inputs: Inputs) -> dict[str, list[VpcPlan]]:
    """``{stack: [VpcPlan per VPC]}`` with subnets ordered by tier then AZ."""
    out: dict[str, list[VpcPlan]] = {}
    for stack in network_stacks(inputs):
        topo = stack_topology(inputs, stack)
        plans = []
        for vpc in inputs.stack(stack).resources("aws_vpc"):
            cidr = str(vpc.get("cidr_block"))
            net = ipaddress.ip_network(cidr)
            subnets = sorted(
                (s for s in topo.subnets if s.vpc == vpc.address),
                key=lambda s: (TIER_ORDER.get(s.tier or "", 9), s.az or "", s.address),
            )
            rows = []
            for s in subnets:
                size = ipaddress.ip_network(s.cidr).num_addresses if s.cidr else 0
                rows.append(CidrRow(s, size, max(size - AWS_RESERVED_PER_SUBNET, 0)))
            plans.append(
                VpcPlan(
                    stack=stack,
                    vpc=vpc.address,
                    cidr=cidr,
                    rows=tuple(rows),
                    allocated=sum(r.addresses for r in rows),
                    total=net.num_addresses,
                    overlaps=_overlaps([s for s in subnets if s.cidr], net),
                )
            )
        out[stack] = plans
    return out


@dataclass(frozen=True)
class VpcRanges:
    """Every stack's VPC ranges, and any two that overlap (then both cannot reach on-prem over one VPN)."""

    ranges: tuple[tuple[str, str], ...]
    overlaps: tuple[str, ...]
    azs: tuple[str, ...]
    tiers: tuple[str, ...]
    reserved: int = AWS_RESERVED_PER_SUBNET


def vpc_ranges(inputs: Inputs) -> VpcRanges:
    plans = [p for ps in cidr_plan(inputs).values() for p in ps]
    ranges = tuple((p.stack, p.cidr) for p in plans)
    nets = [(stack, ipaddress.ip_network(cidr)) for stack, cidr in ranges]
    overlaps = tuple(
        f"{a} ({na}) overlaps {b} ({nb})"
        for i, (a, na) in enumerate(nets)
        for b, nb in nets[i + 1 :]
        if na.overlaps(nb)
    )
    rows = [r.subnet for p in plans for r in p.rows]
    return VpcRanges(
        ranges=ranges,
        overlaps=overlaps,
        azs=tuple(sorted({s.az for s in rows if s.az})),
        tiers=tuple(sorted({s.tier for s in rows if s.tier}, key=lambda x: TIER_ORDER.get(x, 9))),
    )


def route_tables(inputs: Inputs) -> dict[str, tuple[RouteTable, ...]]:
    return {stack: stack_topology(inputs, stack).route_tables for stack in network_stacks(inputs)}


# What a default route's target is, in the words a person reads (the AWS term in parentheses).
EGRESS_WORDS = {
    "aws_internet_gateway": "인터넷 게이트웨이 (internet gateway)",
    "aws_nat_gateway": "NAT 게이트웨이 (NAT gateway)",
    "aws_instance": "NAT 인스턴스 (EC2 NAT instance)",
    "aws_vpn_gateway": "가상 프라이빗 게이트웨이 (VPN gateway)",
    "aws_ec2_transit_gateway": "전송 게이트웨이 (transit gateway)",
}
ZONAL_EGRESS = frozenset({"aws_nat_gateway", "aws_instance"})


@dataclass(frozen=True)
class TierEgress:
    """Where one tier's subnets send ``0.0.0.0/0``: the targets (address, words) and the AZs that share them."""

    tier: str
    subnets: int
    azs: tuple[str, ...]
    targets: tuple[tuple[str, str], ...]
    zonal: bool

    @property
    def shared(self) -> bool:
        """One zonal target (a NAT gateway or instance lives in one AZ) serves subnets in more than one AZ: the
        tier's way out is a single point of failure. An internet gateway is regional and never counts."""
        return self.zonal and len(self.targets) == 1 and len(self.azs) > 1


def egress(inputs: Inputs) -> dict[str, list[TierEgress]]:
    """``{stack: [TierEgress per tier]}``: the default route of each tier, read from the route tables, so the
    page's sentence about NAT and the internet gateway is the synthesized one, not a description of it."""
    out: dict[str, list[TierEgress]] = {}
    for stack in network_stacks(inputs):
        topo = stack_topology(inputs, stack)
        tables = {t.address: t for t in topo.route_tables}
        by_tier: dict[str, list[Subnet]] = {}
        for s in topo.subnets:
            by_tier.setdefault(s.tier or "-", []).append(s)
        rows = []
        for tier, subnets in sorted(by_tier.items(), key=lambda kv: (TIER_ORDER.get(kv[0], 9), kv[0])):
            routes = [
                r
                for s in subnets
                if s.route_table in tables
                for r in tables[s.route_table].routes
                if r.destination == "0.0.0.0/0"
            ]
            rows.append(
                TierEgress(
                    tier,
                    len(subnets),
                    tuple(sorted({s.az for s in subnets if s.az})),
                    tuple(sorted({(r.target, EGRESS_WORDS.get(r.target_kind, r.target_kind)) for r in routes})),
                    zonal=any(r.target_kind in ZONAL_EGRESS for r in routes),
                )
            )
        out[stack] = rows
    return out


def _overlaps(subnets: list[Subnet], vpc: ipaddress.IPv4Network | ipaddress.IPv6Network) -> tuple[str, ...]:
    """Problems worth a warning on the page: a subnet outside its VPC, two subnets overlapping."""
    problems = []
    nets = [(s.address, ipaddress.ip_network(str(s.cidr))) for s in subnets]
    for address, net in nets:
        if not net.subnet_of(vpc):  # type: ignore[arg-type]
            problems.append(f"{address} ({net}) is outside the VPC {vpc}")
    for i, (a, na) in enumerate(nets):
        for b, nb in nets[i + 1 :]:
            if na.overlaps(nb):
                problems.append(f"{a} ({na}) overlaps {b} ({nb})")
    return tuple(problems)
