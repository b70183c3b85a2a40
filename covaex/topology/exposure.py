"""Security-group exposure rules over a topology (pure): what the internet may open, what crosses stacks.

``covaex diff`` and the docs both ask these questions of a `Topology`
(one stack, or an environment's union from `tfjson.union_stacks`):

* `internet_exposed(topology)`: rules letting traffic in from ``0.0.0.0/0`` or ``::/0``;
* `cross_stack(topology)`: rules one stack declares on another stack's security group;
* `reaching(topology, sg)`: every rule that lets traffic into one security group.
"""

from __future__ import annotations

from covaex.topology.entities import SgRule, Topology

ANYWHERE = ("0.0.0.0/0", "::/0")


def internet_exposed(topology: Topology) -> list[SgRule]:
    """Ingress rules open to any address, sorted by destination then ports."""
    return sorted(
        (r for r in topology.sg_rules if r.direction == "ingress" and r.source in ANYWHERE),
        key=lambda r: (r.destination, r.ports, r.address),
    )


def cross_stack(topology: Topology) -> list[SgRule]:
    """Rules whose declaring stack differs from the stack owning the group they open (needs a union)."""
    stack_of = {n.address: n.stack for n in topology.nodes}
    return [
        r
        for r in topology.sg_rules
        if r.stack and stack_of.get(r.destination) and stack_of.get(r.destination) != r.stack
    ]


def reaching(topology: Topology, security_group: str) -> list[SgRule]:
    """Every rule allowing traffic into ``security_group`` (an ``aws_security_group.*`` address)."""
    return [r for r in topology.sg_rules if r.destination == security_group]
