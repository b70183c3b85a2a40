"""Pages' view of the topology package: one model per stack, SPOF findings, diagrams.

The model (``covaex.topology.model.build_topology``) is built once per stack
per build and shared by every page that needs subnets, routes or SG rules.
"""

from __future__ import annotations

from covaex.docsite.inputs import Inputs
from covaex.docsite.sections import PendingInput, Sections
from covaex.topology.entities import Topology


def stack_topology(inputs: Inputs, stack: str) -> Topology:
    """The topology of one synthesized stack, built on first use and kept for the build."""
    cache = inputs.memo.setdefault("topology", {})
    if stack not in cache:
        from covaex.topology.model import build_topology

        cache[stack] = build_topology(inputs.stack(stack).raw, name=stack)
    topology: Topology = cache[stack]
    return topology


def topology_sections(inputs: Inputs, sections: Sections, files: dict[str, bytes]) -> None:
    def pending() -> None:
        raise PendingInput("SPOF findings and diagrams (covaex.topology) have not landed yet")

    sections.add("topology", pending)
