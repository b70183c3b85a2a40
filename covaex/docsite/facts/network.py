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


def route_tables(inputs: Inputs) -> dict[str, tuple[RouteTable, ...]]:
    return {stack: stack_topology(inputs, stack).route_tables for stack in network_stacks(inputs)}


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
